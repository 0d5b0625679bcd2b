import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** Whether a request may mutate, and what to log about who asked. */
export type Authorization =
  | { readonly allowed: true; readonly fingerprint: string }
  | { readonly allowed: false; readonly reason: 'disabled' | 'missing' | 'invalid'; readonly fingerprint?: string };

/**
 * What the logs say instead of a token: the first 8 hex digits of its SHA-256. Enough to tell
 * which of an operator's tokens a client used, useless for finding the token itself.
 */
export function tokenFingerprint(token: string): string {
  return sha256(token).toString('hex').slice(0, 8);
}

/**
 * Checks `Authorization: Bearer <token>` (RFC 6750 §2.1; the scheme is case-insensitive, RFC 7235
 * §2.1) against the configured token. The comparison is of SHA-256 digests with timingSafeEqual:
 * equal-length buffers whatever was sent, so the time taken says nothing about the token.
 */
export function authorize(headers: IncomingHttpHeaders, token: string | undefined): Authorization {
  if (token === undefined) return { allowed: false, reason: 'disabled' };
  const presented = /^Bearer +(\S+) *$/i.exec(headers.authorization ?? '')?.[1];
  if (presented === undefined) return { allowed: false, reason: 'missing' };
  const fingerprint = tokenFingerprint(presented);
  if (!timingSafeEqual(sha256(presented), sha256(token))) return { allowed: false, reason: 'invalid', fingerprint };
  return { allowed: true, fingerprint };
}

/** The `WWW-Authenticate` challenge of a 401 (RFC 6750 §3: `invalid_token` when one was sent). */
export function bearerChallenge(reason: 'missing' | 'invalid'): string {
  return reason === 'invalid' ? 'Bearer realm="mooring", error="invalid_token"' : 'Bearer realm="mooring"';
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
