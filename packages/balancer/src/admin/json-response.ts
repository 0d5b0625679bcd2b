import type { ServerResponse } from 'node:http';
import { errorCodes, type HttpErrorCode } from '../core/error-registry.js';

/** Answers with a JSON body. */
export function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** Answers with the registry's status for `code` and a `{ code, message }` body. */
export function jsonError(
  res: ServerResponse,
  code: HttpErrorCode,
  message?: string,
  headers: Record<string, string> = {},
): void {
  const entry = errorCodes[code];
  json(res, entry.status, { code, message: message ?? entry.message }, headers);
}
