import type { ClientRequest, IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import type HttpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { HttpErrorCode } from '../../core/error-registry.js';
import type { DataPlaneMetrics } from '../data-plane-metrics.js';
import { sendHttpError } from '../error-response.js';
import type { BackendPool } from '../../routing/backend-pool.js';
import type { RoutingDecision } from '../../routing/session-router.js';
import { appendSetCookie } from '../append-set-cookie.js';
import { isEncrypted } from '../forwarded-headers.js';
import type { StickyCookie } from '../sticky-options.js';
import type { BackendAgents } from '../backend-agents.js';
import { isConnectFailure, isTlsFailure } from '../backend-connect.js';

/** What every forwarded request of a worker shares. */
export interface HttpForwardingContext {
  readonly proxy: HttpProxy;
  readonly pool: BackendPool;
  readonly agents: BackendAgents;
  readonly log: Logger;
  readonly requestTimeoutMs: number;
  /** The `Set-Cookie` value pinning a client to a backend (cookie stickiness). */
  readonly stickyCookie: StickyCookie;
  readonly metrics: DataPlaneMetrics;
}

const timedOut = Symbol('mooring.timedOut');
const servedBy = Symbol('mooring.servedBy');
const cookieToSet = Symbol('mooring.cookieToSet');
const lastFailedTls = Symbol('mooring.lastFailedTls');
type TrackedRequest = IncomingMessage & {
  [timedOut]?: boolean;
  [servedBy]?: string;
  [cookieToSet]?: string;
  [lastFailedTls]?: boolean;
};

/**
 * The backend answered (http-proxy's `proxyRes`): it is healthy again as far as we can tell,
 * and the response carries the sticky cookie if this request needs one. Its `Connection` header
 * describes the backend connection, not the client's: it is replaced by what the client
 * connection will do, `close` once the worker stops accepting (`keepClientAlive` false), so that
 * keep-alive clients move to a serving worker at their next request instead of staying here.
 */
export function noteBackendAnswered(
  proxyRes: IncomingMessage,
  req: IncomingMessage,
  res: ServerResponse,
  pool: BackendPool,
  keepClientAlive: boolean,
): void {
  const tracked = req as TrackedRequest;
  if (tracked[servedBy] !== undefined) pool.reportSuccess(tracked[servedBy]);
  if (tracked[cookieToSet] !== undefined) appendSetCookie(proxyRes, tracked[cookieToSet]);
  proxyRes.headers.connection = keepClientAlive && res.shouldKeepAlive ? 'keep-alive' : 'close';
}

/** Remembers that http-proxy's own timeout aborted this request, so its error becomes a 504. */
export function watchProxyRequestTimeout(proxyReq: ClientRequest, req: IncomingMessage): void {
  proxyReq.once('timeout', () => ((req as TrackedRequest)[timedOut] = true));
}

/**
 * Removes http-proxy's `deleteLength` pass. For a DELETE or OPTIONS without Content-Length it
 * sets `Content-Length: 0` and drops Transfer-Encoding, yet still streams the body: a chunked
 * body then reaches the backend unframed and is parsed as a request of its own (smuggling).
 * Without the pass, the request keeps the client's framing (RFC 9112 §6), as for any method.
 */
export function keepRequestFraming(proxy: HttpProxy): HttpProxy {
  const passes = proxy as HttpProxy & { webPasses: Array<{ name: string }> };
  passes.webPasses = passes.webPasses.filter((pass) => pass.name !== 'deleteLength');
  return proxy;
}

/** The backend that answered this request (the last one tried), or '' when none did. */
export function servedBackend(req: IncomingMessage): string {
  return (req as TrackedRequest)[servedBy] ?? '';
}

/** Answers with a Mooring error, counted as a refusal. */
export function refuseRequest(
  res: ServerResponse,
  code: HttpErrorCode,
  metrics: DataPlaneMetrics,
  headers?: Record<string, string>,
): void {
  metrics.refused(code);
  sendHttpError(res, code, headers);
}

/**
 * For an `https://` backend: the SNI name and the name its certificate is checked against are the
 * URL's host, never the client's Host header (which Node would take by default). An IP address
 * sends no SNI (`''`) and is checked against the certificate's IP addresses. A fresh object per
 * request: http-proxy builds the outgoing request options on top of it.
 */
function tlsTargetOptions(origin: string): { ssl?: { servername: string } } {
  if (!origin.startsWith('https:')) return {};
  const host = new URL(origin).hostname.replace(/^\[|\]$/g, '');
  return { ssl: { servername: isIP(host) ? '' : host } };
}

/** Why no candidate is left: none was eligible, the last one failed its TLS handshake, or all refused. */
function noCandidateLeft(req: IncomingMessage, noneEligible: boolean): HttpErrorCode {
  if (noneEligible) return 'MOORING_ERR_NO_BACKEND';
  return (req as TrackedRequest)[lastFailedTls] ? 'MOORING_ERR_BACKEND_TLS' : 'MOORING_ERR_BACKEND_UNREACHABLE';
}

/**
 * A request without a body can be sent again to another backend: nothing of it was consumed.
 * Requests with a body are not replayed (that would need buffering them whole).
 */
function isReplayable(req: IncomingMessage): boolean {
  const length = req.headers['content-length'];
  return req.headers['transfer-encoding'] === undefined && (length === undefined || length === '0');
}

/**
 * Forwards a request to the candidates in order: a backend that refuses the connection is
 * skipped for the next, so the request still succeeds while any backend answers.
 */
export function forwardHttp(
  req: IncomingMessage,
  res: ServerResponse,
  decision: RoutingDecision,
  ctx: HttpForwardingContext,
  index = 0,
): void {
  const { order } = decision;
  const candidate = order.at(index);
  if (!candidate) return refuseRequest(res, noCandidateLeft(req, order.first === undefined), ctx.metrics);
  const { backend } = candidate;
  ctx.pool.acquire(backend.id);
  (req as TrackedRequest)[servedBy] = backend.id;
  // A failover re-pins the client to the backend that actually answers.
  if (decision.cookieMode && (decision.issueCookie || index > 0))
    (req as TrackedRequest)[cookieToSet] = ctx.stickyCookie(backend.id, isEncrypted(req.socket));
  let released = false;
  const release = (): void => {
    if (!released) ctx.pool.release(backend.id);
    released = true;
  };
  res.once('close', release);
  ctx.proxy.web(
    req,
    res,
    {
      target: backend.url,
      agent: ctx.agents.forOrigin(backend.url),
      proxyTimeout: ctx.requestTimeoutMs,
      ...tlsTargetOptions(backend.url),
    },
    (err: Error) => {
      release();
      res.removeListener('close', release);
      if ((req as TrackedRequest)[timedOut]) return refuseRequest(res, 'MOORING_ERR_BACKEND_TIMEOUT', ctx.metrics);
      if (!isConnectFailure(err)) {
        ctx.log.warn({ err, backend: backend.id }, 'backend failed while answering');
        return refuseRequest(res, 'MOORING_ERR_BACKEND_FAILED', ctx.metrics);
      }
      ctx.pool.reportFailure(backend.id);
      const tls = isTlsFailure(err);
      (req as TrackedRequest)[lastFailedTls] = tls;
      ctx.log.warn({ err, backend: backend.id }, tls ? 'backend TLS handshake failed' : 'backend refused a request');
      if (res.headersSent || req.socket.destroyed) return res.destroy();
      if (!isReplayable(req)) return refuseRequest(res, noCandidateLeft(req, order.first === undefined), ctx.metrics);
      forwardHttp(req, res, decision, ctx, index + 1);
    },
  );
}
