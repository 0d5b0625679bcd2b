/**
 * The Server-Sent Events wire format (HTML Living Standard, "Server-sent events" §9.2): fields
 * of `name: value` lines, each message ended by a blank line; a line starting with `:` is a
 * comment the browser ignores.
 */

/**
 * One event. JSON.stringify escapes CR and LF inside strings, so the payload is always one
 * `data:` line and no value can end the message early or forge another field.
 */
export function sseEvent(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** How long the browser waits before it reconnects a stream that dropped. */
export function sseRetry(ms: number): string {
  return `retry: ${Math.round(ms)}\n\n`;
}

/** A comment: keeps proxies and idle timers from closing a quiet stream. */
export function sseComment(text: string): string {
  return `: ${text.replace(/[\r\n]+/g, ' ')}\n\n`;
}
