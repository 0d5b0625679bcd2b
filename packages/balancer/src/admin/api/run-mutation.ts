import type { ServerResponse } from 'node:http';
import type { HttpErrorCode } from '../../core/error-registry.js';
import { json, jsonError } from '../json-response.js';
import { apiFailureOf } from './api-failure.js';
import type { ApiMutation, ApiRequest } from './api-endpoint.js';
import { authorize, bearerChallenge, type Authorization } from './bearer-token.js';
import { readJsonBody, type BodyLimits } from './json-body.js';

/** How a mutation ended, as logged: `ok`, the code answered, or the client gone mid-body. */
type Outcome = { readonly result: string; readonly target?: string };

/** A logged target is cut to this: ids are at most 64 characters, and a hostile body must not fill the log. */
const maxLoggedTarget = 128;

/**
 * Runs a mutation: token first (403 when none is configured, 401 otherwise), then the body, then
 * the operation. Every mutation is logged once, whatever its end: who (address and token
 * fingerprint, never the token), what, on which backend, and the result.
 */
export async function runMutation(request: ApiRequest, mutation: ApiMutation, limits: BodyLimits): Promise<void> {
  const auth = authorize(request.req.headers, request.ctx.adminToken);
  let outcome: Outcome = { result: 'MOORING_ERR_ADMIN_INTERNAL' };
  try {
    outcome = await mutate(request, mutation, auth, limits);
  } finally {
    const target = outcome.target ?? request.id;
    const entry = {
      remote: request.req.socket.remoteAddress ?? null,
      token: auth.fingerprint ?? null,
      action: mutation.action,
      target: target === undefined ? null : target.slice(0, maxLoggedTarget),
      result: outcome.result,
    };
    if (outcome.result === 'ok') request.ctx.log.info(entry, 'admin mutation');
    else request.ctx.log.warn(entry, 'admin mutation refused');
  }
}

async function mutate(
  request: ApiRequest,
  mutation: ApiMutation,
  auth: Authorization,
  limits: BodyLimits,
): Promise<Outcome> {
  const { res } = request;
  if (!auth.allowed) {
    if (auth.reason === 'disabled') return refuse(res, 'MOORING_ERR_ADMIN_MUTATIONS_DISABLED');
    return refuse(res, 'MOORING_ERR_ADMIN_UNAUTHORIZED', undefined, {
      'www-authenticate': bearerChallenge(auth.reason),
    });
  }
  const body = mutation.body === 'none' ? undefined : await readJsonBody(request.req, limits);
  if (body?.kind === 'gone') return { result: 'client-gone' };
  if (body?.kind === 'refused') return refuse(res, body.code, body.message);
  const value = body?.value ?? {};
  const target = typeof value.id === 'string' ? value.id : undefined;
  const invalid = bodyProblem(mutation, body?.value);
  if (invalid) return { ...refuse(res, invalid.code, invalid.message), target };
  try {
    const answer = await mutation.run(request, value);
    json(res, answer.status, answer.body);
    return { result: 'ok', target };
  } catch (err) {
    const failure = apiFailureOf(err, mutation.hints);
    if (!failure) throw err;
    jsonError(res, failure.code, failure.message);
    return { result: failure.code, target };
  }
}

function bodyProblem(
  mutation: ApiMutation,
  value: Readonly<Record<string, unknown>> | undefined,
): { code: HttpErrorCode; message: string } | undefined {
  const expected = mutation.keys.length > 0 ? `expected ${mutation.keys.join(', ')}` : 'expected none';
  if (value === undefined) {
    if (mutation.body !== 'required') return undefined;
    return { code: 'MOORING_ERR_ADMIN_BODY_INVALID', message: `a JSON object body is required (${expected})` };
  }
  const unknown = Object.keys(value).find((key) => !mutation.keys.includes(key));
  if (unknown === undefined) return undefined;
  const message = `unknown key ${JSON.stringify(unknown.slice(0, maxLoggedTarget))} in the body (${expected})`;
  return { code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT', message };
}

/**
 * A refusal before the body was read, or with it left half read: the connection is closed after
 * the answer, so whatever the client still sends is not parsed as a next request.
 */
function refuse(
  res: ServerResponse,
  code: HttpErrorCode,
  message?: string,
  headers: Record<string, string> = {},
): Outcome {
  const closing = code !== 'MOORING_ERR_ADMIN_BODY_INVALID' && code !== 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT';
  jsonError(res, code, message, closing ? { ...headers, connection: 'close' } : headers);
  return { result: code };
}
