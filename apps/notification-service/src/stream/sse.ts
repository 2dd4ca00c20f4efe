/** Server-Sent Events frames (https://html.spec.whatwg.org/multipage/server-sent-events.html). */

/** How long a client waits before reconnecting, sent once when a stream opens. */
export function retryFrame(ms: number): string {
  return `retry: ${Math.max(0, Math.floor(ms))}\n\n`;
}

/** A comment line: ignored by clients, keeps proxies and load balancers from closing an idle connection. */
export function commentFrame(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}

/**
 * One event. `data` is JSON (one line: JSON.stringify never emits a raw newline); `id` becomes the
 * client's Last-Event-ID, sent back when it reconnects.
 */
export function eventFrame(event: string, data: unknown, id?: string): string {
  const lines: string[] = [];
  if (id !== undefined) lines.push(`id: ${id.replace(/[\r\n\0]/g, '')}`);
  lines.push(`event: ${event.replace(/[\r\n]/g, '')}`);
  for (const line of JSON.stringify(data).split(/\r\n|\r|\n/)) lines.push(`data: ${line}`);
  return `${lines.join('\n')}\n\n`;
}
