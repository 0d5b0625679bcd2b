import type { IncomingMessage } from 'node:http';
import type { AdminRoute } from '../admin-route.js';
import { jsonError } from '../json-response.js';
import type { ApiEndpoint } from './api-endpoint.js';
import { matchApiPath } from './api-paths.js';
import { bodyLimits, type BodyLimits } from './json-body.js';
import { runMutation } from './run-mutation.js';

/**
 * The JSON admin API under `/api/v1/`: reads (status, backends, connections) open to whoever
 * reaches the admin listener, mutations (add, drain, undrain, remove) behind the admin token.
 * Each endpoint runs the operator's shared operations, so it means what the CLI means. Tests
 * shorten the body limits; the listener uses {@link apiRoutes}.
 */
export function createApiRoutes(limits: BodyLimits = bodyLimits): AdminRoute {
  return async (req, res, url, ctx) => {
    const match = matchApiPath(url.pathname);
    if (!match) return false;
    const request = { req, res, url, ctx, id: match.id };
    // HEAD is a GET whose body Node leaves out.
    const method = req.method === 'HEAD' ? 'GET' : req.method;
    if (method === 'GET' && match.endpoint.GET) await match.endpoint.GET(request);
    else if (method === 'POST' && match.endpoint.POST) await runMutation(request, match.endpoint.POST, limits);
    else if (method === 'DELETE' && match.endpoint.DELETE) await runMutation(request, match.endpoint.DELETE, limits);
    else refuseMethod(req, res, match.endpoint);
    return true;
  };
}

/** The API as the admin listener serves it. */
export const apiRoutes: AdminRoute = createApiRoutes();

function refuseMethod(req: IncomingMessage, res: Parameters<AdminRoute>[1], endpoint: ApiEndpoint): void {
  const allowed = (['GET', 'POST', 'DELETE'] as const).filter((method) => endpoint[method] !== undefined);
  const allow = (allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed).join(', ');
  const message = `${String(req.method).slice(0, 16)} is not allowed here; allowed: ${allow}`;
  // A body sent along is not read: closing keeps it from being parsed as the next request.
  const closing = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
  jsonError(res, 'MOORING_ERR_ADMIN_METHOD_NOT_ALLOWED', message, {
    allow,
    ...(closing ? { connection: 'close' } : {}),
  });
}
