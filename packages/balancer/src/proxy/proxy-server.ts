import { DeadlineWheel } from './deadline-wheel.js';
import type { IncomingMessage, Server } from 'node:http';
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
import { clientLimitSweepMs, closeGraceMs } from '../core/timings.js';
import { ClientLimits } from './websocket/client-limits.js';
import { BackendPools } from './http/backend-pools.js';
import { ClientListeners } from './client-listeners.js';
import type { TlsMaterial } from './tls/tls-material.js';
import { compileRules, type MessageRule, type MessageRuleSpec } from '../protocol/message-rules.js';
import { DataPlaneMetrics } from './data-plane-metrics.js';
import { createRequestHandler } from './http/request-handler.js';
import type { HttpForwardingContext } from './http/http-forwarding.js';
import { SessionRegistry, type SessionObserver } from './websocket/session-registry.js';
import { createStickyOptions } from './sticky-options.js';
import { createUpgradeHandler } from './websocket/upgrade-handler.js';
import { WebSocketSession, type SessionContext } from './websocket/websocket-session.js';
import { SocketHandoff } from './backend-connect.js';
import type { TunnelParcel } from './websocket/tunnel-parcel.js';
import { socketFromHandle, type StreamHandle } from './websocket/socket-handle.js';

export type { SessionObserver } from './websocket/session-registry.js';

/**
 * A worker's proxy: the HTTP server, its live WebSocket sessions, and how to stop it. Stopping is
 * in steps, because a worker may let its sessions run until a deadline: `stopAccepting()`, then
 * `sessionsDrained()` and `connectionsClosed()` tell when things have ended on their own; `close()`
 * ends them gently and `destroy()` at once.
 */
export interface ProxyServer {
  /** The plaintext listener, and the TLS one once its material has come. */
  readonly listeners: ClientListeners;
  /** The worker's data-plane metrics, for the primary's scrape. */
  readonly metrics: DataPlaneMetrics;
  readonly sessions: ReadonlySet<WebSocketSession>;
  /** Stops accepting: existing connections carry on, every further response says `Connection: close`. */
  stopAccepting(): void;
  /** Resolves once no WebSocket session is left. */
  sessionsDrained(): Promise<void>;
  /** Resolves once every client connection has closed (the server closed after `stopAccepting`). */
  connectionsClosed(): Promise<void>;
  /** The open WebSockets that could move to another worker now (plaintext, nothing inspecting them). */
  movableSessions(): WebSocketSession[];
  /**
   * Takes over a tunnel another worker handed over: its two sockets are rebuilt from the handles
   * (file descriptors) it sent. Throws when this worker cannot carry it (its backend unknown
   * here, or frame tracking on without the frame positions): nothing is read then, and the
   * caller lets the old worker keep it.
   */
  adoptTunnel(parcel: TunnelParcel, client: StreamHandle, backend: StreamHandle): WebSocketSession;
  /** Closes one live WebSocket gently; false when this worker does not hold it. */
  closeSession(id: string, code: number, reason: 'drain' | 'shutdown' | 'rebalance'): boolean;
  /** Stops accepting and closes every WebSocket gently; resolves when they are gone. Idempotent. */
  close(code: number): Promise<void>;
  /** Ends every connection left, at once, and frees the backend connections. */
  destroy(): void;
  /** The membership changed: keep-alive connections to draining or removed backends are closed once idle. */
  backendsChanged(backends: readonly Backend[]): void;
  /** The primary's TLS material: the listener's certificates and the backends' CA. */
  tlsChanged(material: TlsMaterial): void;
  /** New message rules: sessions opened from now on follow them; open ones keep theirs. */
  rulesChanged(rules: readonly MessageRuleSpec[]): void;
}

/** Builds the proxy of one worker around a backend pool. Listening is the caller's business. */
export function createProxyServer(
  config: Readonly<MooringConfig>,
  pool: BackendPool,
  log: Logger,
  observer?: SessionObserver,
): ProxyServer {
  // http-proxy carries WebSocket upgrades only; plain HTTP goes through undici (BackendPools).
  const proxy = HttpProxy.createProxyServer({ xfwd: false, ws: true });
  const pools = new BackendPools({ connectTimeoutMs: config.connectTimeout });
  let backendCa: string | undefined;
  let messageRules: readonly MessageRule[] = [];
  const sticky = createStickyOptions(config);
  const router = new SessionRouter(pool, config.balance, sticky.options);
  const sessions = new SessionRegistry(observer);
  const trusted = createAddressMatcher(config.trustedProxies);
  const limits = new ClientLimits({
    maxConnections: config.maxConnectionsPerClient,
    ratePerSecond: config.handshakeRatePerClient,
  });
  const sweep = setInterval(() => limits.sweep(), clientLimitSweepMs).unref();
  const metrics = new DataPlaneMetrics({ enabled: config.metrics });
  const deadlines = new DeadlineWheel({
    tickMs: wheelTickMs(config),
    onError: (err) => log.error({ err }, 'a session deadline failed'),
  });
  metrics.watchTraffic(sessions);
  let accepting = true;
  const httpContext: HttpForwardingContext = {
    pools,
    pool,
    log,
    requestTimeoutMs: config.requestTimeout,
    stickyCookie: sticky.setCookie,
    metrics,
    accepting: () => accepting,
  };
  const sessionContext: SessionContext = {
    ...sessionSettings(config),
    metrics,
    deadlines,
    proxy,
    handoff: new SocketHandoff(),
    pool,
    log,
    stickyCookie: sticky.setCookie,
    backendCa: () => backendCa,
    messageRules: () => messageRules,
    onOpened: (session) => sessions.opened(session),
    onFinished: (session, wasOpen) => {
      limits.release(session.clientAddress);
      sessions.finished(session, wasOpen);
    },
    onHandedOver: (session) => {
      limits.release(session.clientAddress);
      sessions.handedOver(session);
    },
  };
  wireProxyEvents(proxy, log);

  const listeners = new ClientListeners(
    config,
    {
      request: createRequestHandler({ router, trusted, forwarding: httpContext, metrics }),
      upgrade: createUpgradeHandler({
        log,
        router,
        limits,
        sessions,
        sessionContext,
        trusted,
        allowedOrigins: new Set(config.allowedOrigins),
        metrics,
      }),
      refuse: (server) => refuseNonProxyTraffic(server, log, metrics),
    },
    log,
  );

  const stopAccepting = (): Promise<void> => {
    accepting = false;
    return listeners.stopAccepting();
  };
  let closing: Promise<void> | undefined;
  return {
    listeners,
    metrics,
    sessions: sessions.all,
    stopAccepting: () => void stopAccepting(),
    sessionsDrained: () => sessions.drained(),
    connectionsClosed: () => stopAccepting(),
    closeSession: (id, code, reason) => sessions.closeGently(id, code, reason),
    movableSessions: () => sessions.movable(),
    adoptTunnel: (parcel, clientHandle, backendHandle) => {
      const backend = pool.get(parcel.backend);
      if (!backend) throw new Error(`backend ${parcel.backend} is not in this worker's membership`);
      // Its frame boundaries would be unknown here, so a drain could not close it gently.
      if (config.frameTracking && !parcel.trackers)
        throw new Error('frame tracking is on and the tunnel has no frame positions');
      // As in the old worker: the client's from the HTTP server (half-open allowed), the backend's from net.connect.
      const [client, backendSocket] = [socketFromHandle(clientHandle, true), socketFromHandle(backendHandle, false)];
      const session = WebSocketSession.adopt(parcel, client, backendSocket, backend, sessionContext);
      limits.adopt(session.clientAddress);
      sessions.adopted(session);
      return session;
    },
    close: (code) => {
      void stopAccepting();
      closing ??= sessions.close(code);
      return closing;
    },
    backendsChanged: (backends) => {
      pools.setDraining(backends.filter((backend) => backend.state === 'draining').map((backend) => backend.url));
      pools.retain(backends.map((backend) => backend.url));
    },
    tlsChanged: (material) => {
      listeners.tlsMaterial(material);
      if (material.backendCa !== backendCa) pools.setBackendCa(material.backendCa);
      backendCa = material.backendCa;
    },
    rulesChanged: (rules) => {
      messageRules = compileRules(rules);
    },
    destroy: () => {
      clearInterval(sweep);
      sessions.destroy();
      deadlines.destroy();
      listeners.closeAllConnections();
      pools.destroy();
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
    pings: config.pingInterval > 0 ? { intervalMs: config.pingInterval, timeoutMs: config.pingTimeout } : undefined,
  };
}

/**
 * The deadline wheel's tick: a tenth of the shortest session deadline configured (connect,
 * handshake, close grace, pings; an idle look is a quarter of the idle timeout), between 5 and
 * 100 ms, so that no deadline fires more than about a tenth of itself late while a worker with
 * many tunnels wakes at most 10 times a second.
 */
export function wheelTickMs(config: Readonly<MooringConfig>): number {
  const deadlines = [config.handshakeTimeout, config.connectTimeout, closeGraceMs];
  if (config.idleTimeout > 0) deadlines.push(config.idleTimeout / 4);
  if (config.pingInterval > 0) deadlines.push(config.pingInterval, config.pingTimeout);
  return Math.min(100, Math.max(5, Math.min(...deadlines) / 10));
}

/** Hooks Mooring's guards into http-proxy's events (WebSocket upgrades only). */
function wireProxyEvents(proxy: HttpProxy, log: Logger): void {
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
