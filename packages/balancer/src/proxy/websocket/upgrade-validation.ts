import type { IncomingMessage } from 'node:http';
import type { ErrorCode } from '../../core/error-registry.js';

/** 16 random bytes in base64 are always 22 characters and `==` (RFC 6455 §4.1, item 7). */
const websocketKeyPattern = /^[A-Za-z0-9+/]{22}==$/;

/**
 * Checks a WebSocket handshake before any backend is contacted (RFC 6455 §4.2.1), so that a
 * backend never spends a connection on a request it would refuse anyway. Returns the error code
 * to refuse with, or undefined when the handshake may proceed.
 */
export function validateUpgrade(req: IncomingMessage, allowedOrigins: ReadonlySet<string>): ErrorCode | undefined {
  if ((req.headers.upgrade ?? '').toLowerCase() !== 'websocket') return 'MOORING_ERR_UPGRADE_UNSUPPORTED';
  if (req.method !== 'GET') return 'MOORING_ERR_UPGRADE_METHOD';
  if (req.headers['sec-websocket-version'] !== '13') return 'MOORING_ERR_UPGRADE_VERSION';
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !websocketKeyPattern.test(key.trim())) return 'MOORING_ERR_UPGRADE_KEY';
  if (allowedOrigins.size > 0 && !allowedOrigins.has(req.headers.origin ?? '')) return 'MOORING_ERR_UPGRADE_ORIGIN';
  return undefined;
}

/** Request targets a reverse proxy serves: origin-form (`/path`), or `*` for OPTIONS. */
export function isOriginForm(url: string | undefined): boolean {
  return url !== undefined && (url.startsWith('/') || url === '*');
}
