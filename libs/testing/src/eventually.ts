/**
 * Polls `fn` until it stops throwing (or returns a truthy value when `truthy` is set), then returns its result.
 * The last error is rethrown at the deadline, so a failure says what was last seen.
 */
export async function expectEventually<T>(fn: () => Promise<T> | T, opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {}): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 30000);
  let lastError: unknown;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const e = lastError instanceof Error ? lastError : new Error(String(lastError));
      e.message = `${opts.what ? opts.what + ': ' : ''}not satisfied within ${opts.timeoutMs ?? 30000} ms: ${e.message}`;
      throw e;
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 250));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
