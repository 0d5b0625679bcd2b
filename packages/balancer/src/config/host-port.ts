import { isIP } from 'node:net';

/** A listening address as the operator wrote it, split for `server.listen`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `:PORT` (all interfaces) or `[IPv6]:PORT`. Port 0 is allowed: the OS picks
 * one, which tests use. Returns undefined when the text is not an address.
 */
export function parseHostPort(text: string): HostPort | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text.trim());
  if (!match) return undefined;
  const host = match[1] ?? (match[2] || '0.0.0.0');
  const port = Number(match[3]);
  if (port > 65_535) return undefined;
  if (match[1] !== undefined && isIP(match[1]) !== 6) return undefined;
  return { host, port };
}

/** Formats an address for logs and URLs, bracketing IPv6. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
