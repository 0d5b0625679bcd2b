import { Agent, createServer, type IncomingMessage, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import HttpProxy from 'http-proxy';
import type { Logger } from 'pino';
import { createAddressMatcher } from '../config/cidr.js';
import type { MooringConfig } from '../config/schema.js';
import type { ErrorCode } from '../core/error-registry.js';
import { refuseUpgrade } from './error-response.js';
import type { BackendPool } from '../routing/backend-pool.js';
import type { Backend } from '../core/backend.js';
import { SessionRouter } from '../routing/session-router.js';
import {
  backendKeepAliveIdleMs,
  clientKeepAliveMs,
  clientLimitSweepMs,
  closeGraceMs,
  wholeRequestTimeoutMs,
} from '../core/timings.js';
import { ClientLimits } from './websocket/client-limits.js';
import { drainableKeepAlive } from './http/drainable-keep-alive.js';
import { DataPlaneMetrics } from './data-plane-metrics.js';
import { createRequestHandler } from './http/request-handler.js';
import {
  keepRequestFraming,
  noteBackendAnswered,
  watchProxyRequestTimeout,
  type HttpForwardingContext,
} from './http/http-forwarding.js';
import { SessionRegistry, type SessionObserver } from './websocket/session-registry.js';
import { createStickyOptions } from './sticky-options.js';
import { createUpgradeHandler } from './websocket/upgrade-handler.js';
import { WebSocketSession, type SessionContext } from './websocket/websocket-session.js';

export type { SessionObserver } from './websocket/session-registry.js';

/**
 * How often Node looks for requests past their deadline. Its default, 30 s, would let a request
 * head outlive `--request-head-timeout` by up to that much; a tenth of the timeout (50 ms to
 * 1 s) keeps the cut within 10 % and the sweep cheap (it walks only connections mid-request).
 */
function headTimeoutSweepMs(timeoutMs: number): number {
  return Math.min(1_000, Math.max(50, Math.round(timeoutMs / 10)));
}

/**
 * A worker's proxy: the HTTP server, its live WebSocket sessions, and how to stop it. Stopping is
 * in steps, because a worker may let its sessions run until a deadline: `stopAccepting()`, then
 * `sessionsDrained()` and `connectionsClosed()` tell when things have ended on their own; `close()`
 * ends them gently and `destroy()` at once.
 */
export interface ProxyServer {
  readonly server: Server;
  /** The worker's data-plane metrics, for the primary's scrape. */
  readonly metrics: DataPlaneMetrics;
  readonly sessions: ReadonlySet<WebSocketSession>;
  /** Stops accepting: existing connections carry on, every further response says `Connection: close`. */
  stopAccepting(): void;
  /** Resolves once no WebSocket session is left. */
  sessionsDrained(): Promise<void>;
  /** Resolves once every client connection has closed (the server closed after `stopAccepting`). */
  connectionsClosed(): Promise<void>;
  /** Closes one live WebSocket gently; false when this worker does not hold it. */
  closeSession(id: string, code: number, reason: 'drain' | 'shutdown'): boolean;
  /** Stops accepting and closes every WebSocket gently; resolves when they are gone. Idempotent. */
  close(code: number): Promise<void>;
  /** Ends every connection left, at once, and frees the backend connections. */
  destroy(): void;
  /** The membership changed: keep-alive connections to draining backends are closed once idle. */
  backendsChanged(backends: readonly Backend[]): void;
}

/** Builds the proxy of one worker around a backend pool. Listening is the caller's business. */
export function createProxyServer(
  config: Readonly<MooringConfig>,
  pool: BackendPool,
  log: Logger,
  observer?: SessionObserver,
): ProxyServer {
  const proxy = keepRequestFraming(HttpProxy.createProxyServer({ xfwd: false, ws: true }));
  const agent = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: backendKeepAliveIdleMs });
  const keepAlive = drainableKeepAlive(agent);
  const sticky = createStickyOptions(config);
  const router = new SessionRouter(pool, config.balance, sticky.options);
  const sessions = new SessionRegistry(observer);
  const trusted = createAddressMatcher(config.trustedProxies);
  const limits = new ClientLimits({
    maxConnections: config.maxConnectionsPerClient,
    ratePerSecond: config.handshakeRatePerClient,
  });
  const sweep = setInterval(() => limits.sweep(), clientLimitSweepMs).unref();
  const metrics = new DataPlaneMetrics();
  metrics.watchTraffic(sessions);
  const httpContext: HttpForwardingContext = {
    proxy,
    pool,
    agent,
    log,
    requestTimeoutMs: config.requestTimeout,
    stickyCookie: sticky.setCookie,
    metrics,
  };
  const sessionContext: SessionContext = {
    ...sessionSettings(config),
    metrics,
    proxy,
    pool,
    log,
    stickyCookie: sticky.setCookie,
    onOpened: (session) => sessions.opened(session),
    onFinished: (session, wasOpen) => {
      limits.release(session.clientAddress);
      sessions.finished(session, wasOpen);
    },
  };
  let accepting = true;
  wireProxyEvents(proxy, pool, log, () => accepting);

  const server = createServer({
    maxHeaderSize: config.maxHeaderSize,
    noDelay: true,
    keepAliveTimeout: clientKeepAliveMs,
    headersTimeout: config.requestHeadTimeout,
    requestTimeout: wholeRequestTimeoutMs,
    connectionsCheckingInterval: headTimeoutSweepMs(config.requestHeadTimeout),
  });
  server.on(
    'request',
    createRequestHandler({ router, trusted, forwarding: httpContext, metrics, accepting: () => accepting }),
  );
  server.on(
    'upgrade',
    createUpgradeHandler({
      log,
      router,
      limits,
      sessions,
      sessionContext,
      trusted,
      allowedOrigins: new Set(config.allowedOrigins),
      metrics,
    }),
  );
  refuseNonProxyTraffic(server, log, metrics);

  let serverClosed: Promise<void> | undefined;
  const stopAccepting = (): Promise<void> => {
    accepting = false;
    serverClosed ??= new Promise((resolve) => server.close(() => resolve()));
    return serverClosed;
  };
  let closing: Promise<void> | undefined;
  return {
    server,
    metrics,
    sessions: sessions.all,
    stopAccepting: () => void stopAccepting(),
    sessionsDrained: () => sessions.drained(),
    connectionsClosed: () => stopAccepting(),
    closeSession: (id, code, reason) => sessions.closeGently(id, code, reason),
    close: (code) => {
      void stopAccepting();
      closing ??= sessions.close(code);
      return closing;
    },
    backendsChanged: (backends) =>
      keepAlive.setDraining(backends.filter((backend) => backend.state === 'draining').map((backend) => backend.url)),
    destroy: () => {
      clearInterval(sweep);
      sessions.destroy();
      server.closeAllConnections();
      agent.destroy();
    },
  };
}

/** The per-session settings of the configuration. */
function sessionSettings(config: Readonly<MooringConfig>) {
  return {
    handshakeTimeoutMs: config.handshakeTimeout,
    connectTimeoutMs: config.connectTimeout,
    idleTimeoutMs: config.idleTimeout,
    tcpKeepAliveMs: config.tcpKeepAlive,
    frameTracking: config.frameTracking,
    closeGraceMs,
    maxMessageSize: config.maxMessageSize,
    maxMessageRate: config.maxMessageRate,
  };
}

/** Hooks Mooring's guards into http-proxy's events. */
function wireProxyEvents(proxy: HttpProxy, pool: BackendPool, log: Logger, accepting: () => boolean): void {
  proxy.on('proxyReq', (proxyReq, req) => watchProxyRequestTimeout(proxyReq, req));
  proxy.on('proxyRes', (proxyRes, req, res) => noteBackendAnswered(proxyRes, req, res, pool, accepting()));
  proxy.on('proxyReqWs', (proxyReq, _req, _socket, options) => {
    (options as { session?: WebSocketSession }).session?.attachProxyRequest(proxyReq);
  });
  proxy.on('open', (backendSocket) => WebSocketSession.ofBackendSocket(backendSocket as Socket)?.onPiped());
  // Every proxy call passes its own callback; this only keeps a stray error from killing the worker.
  proxy.on('error', (err) => log.error({ err }, 'unexpected proxy error'));
}

/** No open proxy: CONNECT is refused; unparseable requests get a 400 (431 for huge heads, 408 for slow ones). */
function refuseNonProxyTraffic(server: Server, log: Logger, metrics: DataPlaneMetrics): void {
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => socket.destroy());
    metrics.refused('MOORING_ERR_REQUEST_CONNECT');
    refuseUpgrade(socket, 'MOORING_ERR_REQUEST_CONNECT');
  });
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    log.debug({ err }, 'malformed client request');
    const code = clientErrorCode(err);
    metrics.refused(code);
    refuseUpgrade(socket, code);
  });
}

function clientErrorCode(err: NodeJS.ErrnoException): ErrorCode {
  if (err.code === 'HPE_HEADER_OVERFLOW') return 'MOORING_ERR_REQUEST_HEADERS_TOO_LARGE';
  // Node's `headersTimeout` (and whole-request timeout) ran out: a slow or stalled client.
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') return 'MOORING_ERR_REQUEST_HEAD_TIMEOUT';
  return 'MOORING_ERR_REQUEST_MALFORMED';
}
