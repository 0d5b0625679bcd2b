import type { IncomingMessage } from 'node:http';

/** Adds a `Set-Cookie` to a backend's response (HTTP or 101), keeping the backend's own cookies. */
export function appendSetCookie(res: IncomingMessage, value: string): void {
  const existing = res.headers['set-cookie'];
  res.headers['set-cookie'] = existing ? [...existing, value] : [value];
}
