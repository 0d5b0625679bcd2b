import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Backend } from '../../core/backend.js';
import type { HttpErrorCode } from '../../core/error-registry.js';
import type { BackendPool } from '../../routing/backend-pool.js';
import type { RoutingDecision } from '../../routing/session-router.js';
import { isConnectFailure, isTlsFailure } from '../backend-connect.js';
import { backendTarget } from '../backend-target.js';
import type { DataPlaneMetrics } from '../data-plane-metrics.js';
import { sendHttpError } from '../error-response.js';
import { isEncrypted } from '../forwarded-headers.js';
import type { StickyCookie } from '../sticky-options.js';
import type { BackendPools } from './backend-pools.js';
import { clientResponseHeaders } from './response-headers.js';

/** What every forwarded request of a worker shares. */
export interface HttpForwardingContext {
  readonly pools: BackendPools;
  readonly pool: BackendPool;
  readonly log: Logger;
  /** How long a backend may keep the response head, or the next body chunk, waiting. */
  readonly requestTimeoutMs: number;
  /** The `Set-Cookie` value pinning a client to a backend (cookie stickiness). */
  readonly stickyCookie: StickyCookie;
  readonly metrics: DataPlaneMetrics;
  /** False once the worker stops accepting: every further response says `Connection: close`. */
  readonly accepting: () => boolean;
}

/** A request body as undici sends it: a stream, chunks to send chunked, or none. */
export type RequestBody = IncomingMessage | AsyncIterable<Buffer> | null;

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

const servedBy = Symbol('mooring.servedBy');

/** The backend that answered this request (the last one tried), or '' when none was. */
export function servedBackend(req: IncomingMessage): string {
  return (req as IncomingMessage & { [servedBy]?: string })[servedBy] ?? '';
}

/**
 * undici's errors that mean the backend never took the request, besides the socket ones
 * {@link isConnectFailure} knows: no TCP (or TLS) within `--connect-timeout`, or the connection
 * closed before any answer (a pooled connection the backend dropped, a backend that resets).
 */
const undiciConnectFailures = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET']);
const timeouts = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);
/** A request undici cannot send as it is (a header value or target it refuses): the client's fault. */
const unsendable = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED']);

const codeOf = (err: Error): string => (err as NodeJS.ErrnoException).code ?? '';

/**
 * One client request on its way through its candidates, and undici's dispatch handler of each
 * attempt (the raw-header handler API: no header object is built for a response). The response
 * is relayed as it comes, with backpressure both ways: undici pauses reading the backend while
 * the client's socket is full, and reads the request body only as fast as the backend takes it.
 */
export class HttpExchange implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #decision: RoutingDecision;
  readonly #ctx: HttpForwardingContext;
  readonly #body: RequestBody;
  #index = 0;
  #backend: Backend | undefined;
  #cookie: string | undefined;
  #abort: ((err?: Error) => void) | undefined;
  #resume: (() => void) | undefined;
  #released = true;
  #ended = false;
  #clientGone = false;
  #lastFailedTls = false;
  readonly #onDrain = (): void => this.#resume?.();

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    decision: RoutingDecision,
    ctx: HttpForwardingContext,
    body: RequestBody,
  ) {
    this.#req = req;
    this.#res = res;
    this.#decision = decision;
    this.#ctx = ctx;
    this.#body = body;
    res.once('close', () => this.#closed());
  }

  start(): void {
    this.#attempt(0);
  }

  /** The attempt is about to be written to a backend connection; `abort` stops it. */
  onConnect(abort: (err?: Error) => void): void {
    this.#abort = abort;
    if (this.#clientGone) abort();
  }

  /** The backend's head: 1xx are not relayed (Node answered `100-continue` itself), the final one is. */
  onHeaders(statusCode: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    if (statusCode < 200) return true;
    const { pool, accepting } = this.#ctx;
    pool.reportSuccess(this.#backend!.id);
    this.#resume = resume;
    // Keep-alive clients move to a serving worker at their next request once this one stops accepting.
    if (!accepting()) this.#res.shouldKeepAlive = false;
    // A header Node refuses throws here; undici then aborts the attempt and onError answers 502.
    this.#res.writeHead(statusCode, statusText || undefined, clientResponseHeaders(rawHeaders, this.#cookie));
    return true;
  }

  onData(chunk: Buffer): boolean {
    if (this.#res.write(chunk)) return true;
    this.#res.once('drain', this.#onDrain);
    return false;
  }

  onComplete(): void {
    this.#ended = true;
    this.#release();
    this.#res.end();
  }

  onError(err: Error): void {
    this.#release();
    // The client left (its request body errored, or its socket closed first): not the backend's fault.
    if (this.#clientGone || this.#req.socket.destroyed) return void (this.#clientGone = true);
    const ctx = this.#ctx;
    const backend = this.#backend!;
    const code = codeOf(err);
    if (timeouts.has(code)) return refuseRequest(this.#res, 'MOORING_ERR_BACKEND_TIMEOUT', ctx.metrics);
    if (unsendable.has(code) && !this.#res.headersSent) {
      ctx.log.debug({ err, backend: backend.id }, 'request not sendable to a backend');
      return refuseRequest(this.#res, 'MOORING_ERR_REQUEST_MALFORMED', ctx.metrics, { connection: 'close' });
    }
    if (!isConnectFailure(err) && !undiciConnectFailures.has(code)) {
      ctx.log.warn({ err, backend: backend.id }, 'backend failed while answering');
      return refuseRequest(this.#res, 'MOORING_ERR_BACKEND_FAILED', ctx.metrics);
    }
    ctx.pool.reportFailure(backend.id);
    const tls = isTlsFailure(err);
    this.#lastFailedTls = tls;
    ctx.log.warn({ err, backend: backend.id }, tls ? 'backend TLS handshake failed' : 'backend refused a request');
    if (this.#res.headersSent || this.#req.socket.destroyed) return void this.#res.destroy();
    if (this.#body !== null) return refuseRequest(this.#res, this.#noCandidateLeft(), ctx.metrics);
    this.#attempt(this.#index + 1);
  }

  /** Sends the request to candidate `index`, or answers why none is left. */
  #attempt(index: number): void {
    const { order, cookieMode, issueCookie } = this.#decision;
    const candidate = order.at(index);
    if (!candidate) return refuseRequest(this.#res, this.#noCandidateLeft(), this.#ctx.metrics);
    const { backend } = candidate;
    const { pool, pools, stickyCookie, requestTimeoutMs } = this.#ctx;
    this.#index = index;
    this.#backend = backend;
    this.#abort = undefined;
    (this.#req as IncomingMessage & { [servedBy]?: string })[servedBy] = backend.id;
    // A failover re-pins the client to the backend that actually answers.
    if (cookieMode && (issueCookie || index > 0))
      this.#cookie = stickyCookie(backend.id, isEncrypted(this.#req.socket));
    pool.acquire(backend.id);
    this.#released = false;
    const req = this.#req;
    pools.forBackend(backend).dispatch(
      {
        path: req.url ?? '/',
        method: req.method ?? 'GET',
        headers: req.headers,
        body: this.#body,
        headersTimeout: requestTimeoutMs,
        bodyTimeout: requestTimeoutMs,
        // A draining backend's connections close once answered instead of going back to the pool.
        reset: pools.isDraining(backend.url) || undefined,
        // A constant per pool (read by undici's Request, absent from its types): undici would
        // otherwise derive one from each request's Host header and reconnect an https:// pool's
        // connection whenever it changed. The pool's connector sets the real SNI name.
        servername: backendTarget(backend).endpoint.host,
      } as Dispatcher.DispatchOptions,
      this,
    );
  }

  /** The client response closed: finished, refused, or the client left (then the attempt stops). */
  #closed(): void {
    if (this.#ended) return;
    this.#clientGone = true;
    this.#release();
    this.#abort?.();
  }

  #release(): void {
    if (this.#released) return;
    this.#released = true;
    this.#ctx.pool.release(this.#backend!.id);
  }

  /** Why no candidate is left: none was eligible, the last one failed its TLS handshake, or all refused. */
  #noCandidateLeft(): HttpErrorCode {
    if (this.#decision.order.first === undefined) return 'MOORING_ERR_NO_BACKEND';
    return this.#lastFailedTls ? 'MOORING_ERR_BACKEND_TLS' : 'MOORING_ERR_BACKEND_UNREACHABLE';
  }
}
