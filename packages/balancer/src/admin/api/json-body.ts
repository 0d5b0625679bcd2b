import type { IncomingMessage } from 'node:http';
import type { HttpErrorCode } from '../../core/error-registry.js';

/** Limits of a request body; the admin API's defaults are {@link bodyLimits}. */
export interface BodyLimits {
  readonly maxBytes: number;
  /** From the moment the body is asked for until its last byte. */
  readonly timeoutMs: number;
}

/**
 * 64 KiB holds any request of this API many times over, and bounds what a client can make the
 * primary buffer. 10 s is far beyond a loopback or LAN upload of that much, and short enough that
 * a client that stops sending mid-body does not hold a connection to the primary for long.
 */
export const bodyLimits: BodyLimits = { maxBytes: 64 * 1024, timeoutMs: 10_000 };

/** A body read: a JSON object, nothing (empty body), a refusal to answer, or a client gone mid-body. */
export type BodyResult =
  | { readonly kind: 'json'; readonly value: Readonly<Record<string, unknown>> | undefined }
  | { readonly kind: 'refused'; readonly code: HttpErrorCode; readonly message?: string }
  | { readonly kind: 'gone' };

type Refusal = Extract<BodyResult, { kind: 'refused' }>;

const refused = (code: HttpErrorCode, message?: string): Refusal =>
  message === undefined ? { kind: 'refused', code } : { kind: 'refused', code, message };

/**
 * Reads a request body that must be a JSON object, within `limits`. An empty body is `undefined`
 * (the operation's defaults apply). Never rejects, never waits past the timeout.
 */
export async function readJsonBody(req: IncomingMessage, limits: BodyLimits = bodyLimits): Promise<BodyResult> {
  const contentType = req.headers['content-type'];
  if (contentType !== undefined && !isJson(contentType)) return refused('MOORING_ERR_ADMIN_CONTENT_TYPE');
  const declared = Number(req.headers['content-length'] ?? 0);
  // Refused before a byte is read: the client said how much it would send.
  if (declared > limits.maxBytes) return refused('MOORING_ERR_ADMIN_BODY_TOO_LARGE');
  const read = await readBytes(req, limits);
  if (read.kind !== 'bytes') return read;
  if (read.bytes.length === 0) return { kind: 'json', value: undefined };
  if (contentType === undefined) return refused('MOORING_ERR_ADMIN_CONTENT_TYPE');
  return parseObject(read.bytes);
}

/** `application/json`, or a `+json` type, with any parameters (`; charset=utf-8`). */
function isJson(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(type);
}

type BytesResult = { readonly kind: 'bytes'; readonly bytes: Buffer } | Exclude<BodyResult, { kind: 'json' }>;

function readBytes(req: IncomingMessage, limits: BodyLimits): Promise<BytesResult> {
  // Gone before the body was asked for: its 'close' has been and will not come again.
  if (req.destroyed) return Promise.resolve({ kind: 'gone' });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: BytesResult): void => {
      clearTimeout(timer);
      req.off('data', onData).off('end', onEnd).off('close', onClose).off('error', onClose);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      // Counted as it arrives: a chunked body declares no length.
      if (size > limits.maxBytes) finish(refused('MOORING_ERR_ADMIN_BODY_TOO_LARGE'));
      else chunks.push(chunk);
    };
    const onEnd = (): void => finish({ kind: 'bytes', bytes: Buffer.concat(chunks) });
    const onClose = (): void => finish({ kind: 'gone' });
    const timer = setTimeout(() => finish(refused('MOORING_ERR_ADMIN_BODY_TIMEOUT')), limits.timeoutMs);
    req.on('data', onData).once('end', onEnd).once('close', onClose).once('error', onClose);
  });
}

function parseObject(bytes: Buffer): BodyResult {
  let value: unknown;
  try {
    // fatal: bytes that are not UTF-8 are refused rather than read as replacement characters.
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (err) {
    return refused('MOORING_ERR_ADMIN_BODY_INVALID', `the request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return refused('MOORING_ERR_ADMIN_BODY_INVALID');
  }
  return { kind: 'json', value: value as Record<string, unknown> };
}
