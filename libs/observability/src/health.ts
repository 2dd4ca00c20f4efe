/** A dependency the service checks for readiness. */
export interface HealthCheck {
  name: string;
  /** When false, a failure is reported but the service stays ready (its work waits, e.g. in the outbox). */
  critical: boolean;
  check(): Promise<void>;
}

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  checks: Record<string, { status: 'up' | 'down'; error?: string; critical: boolean }>;
}

export async function runHealthChecks(checks: HealthCheck[], timeoutMs = 2000): Promise<HealthReport> {
  const results = await Promise.all(
    checks.map(async (c) => {
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs).unref()),
        ]);
        return [c.name, { status: 'up' as const, critical: c.critical }] as const;
      } catch (err) {
        return [c.name, { status: 'down' as const, critical: c.critical, error: (err as Error).message }] as const;
      }
    }),
  );
  const map = Object.fromEntries(results);
  const criticalDown = results.some(([, r]) => r.status === 'down' && r.critical);
  const anyDown = results.some(([, r]) => r.status === 'down');
  return { status: criticalDown ? 'down' : anyDown ? 'degraded' : 'ok', checks: map };
}
