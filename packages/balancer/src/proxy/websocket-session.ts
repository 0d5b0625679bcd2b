import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type HttpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { ErrorCode } from '../errors/error-codes.js';
import { refuseUpgrade } from '../errors/error-response.js';
import type { Backend } from '../routing/backend.js';
import type { RoutingDecision } from '../routing/session-router.js';
import type { RouteKind } from '../state/state-store.js';
import type { BackendPool } from '../routing/backend-pool.js';
import { appendSetCookie } from './append-set-cookie.js';
import { connectToBackend, preconnectedAgent } from './backend-connect.js';
import type { FrameBoundaryTracker, FrameHeaderListener } from './frame-tracker.js';
import { closeTunnelGently, trackTunnel } from './gentle-close.js';
import { MessageLimits } from './message-limits.js';
import { writeNon101Response } from './non-101-response.js';

/** How a session ended, as its log line reports it. */
export type SessionEnd =
  | 'client-close'
  | 'backend-close'
  | 'error'
  | 'idle-timeout'
  | 'handshake-timeout'
  | 'backend-unreachable'
  | 'backend-refused-upgrade'
  | 'client-gone-during-handshake'
  | 'drain'
  | 'shutdown'
  | 'message-too-big'
  | 'message-rate';

/** What every session of a worker shares. */
export interface SessionContext {
  readonly proxy: HttpProxy;
  readonly pool: BackendPool;
  readonly log: Logger;
  readonly handshakeTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly tcpKeepAliveMs: number;
  /** Track RFC 6455 frame boundaries, so that closes can be gentle (a close frame between frames). */
  readonly frameTracking: boolean;
  /** How long peers get to answer a gentle close before both sockets are destroyed. */
  readonly closeGraceMs: number;
  /** Largest client message (bytes on the wire) and client messages per second; 0: no limit. */
  readonly maxMessageSize: number;
  readonly maxMessageRate: number;
  /** The `Set-Cookie` value pinning a client to a backend (cookie stickiness). */
  readonly stickyCookie: (backendId: string) => string;
  /** Called when the backend has accepted the upgrade. */
  readonly onOpened: (session: WebSocketSession) => void;
  /** Called once when the session is over, whatever the outcome; `wasOpen` says if it ever opened. */
  readonly onFinished: (session: WebSocketSession, wasOpen: boolean) => void;
}

type Phase = 'connecting' | 'handshaking' | 'open' | 'closed';

let sequence = 0;

const sessionOfSocket = Symbol('mooring.session');

/** How long a refused client gets to read the refusal before its socket is destroyed. */
const refusalFlushMs = 5_000;

/**
 * One proxied WebSocket from handshake to close. It guards what http-proxy's ws path does not:
 * failover before the handshake, a handshake deadline, a well-formed answer when the backend
 * refuses the upgrade, pairing of the two sockets (either side gone destroys the other, so no
 * backend socket leaks), an idle timeout and TCP keep-alive.
 */
export class WebSocketSession {
  readonly id = `${process.pid.toString(36)}-${(++sequence).toString(36)}`;
  readonly clientAddress: string;
  readonly #req: IncomingMessage;
  readonly #socket: Socket;
  readonly #head: Buffer;
  readonly #ctx: SessionContext;
  readonly startedAt = Date.now();
  #phase: Phase = 'connecting';
  #backend: Backend | undefined;
  #backendSocket: Socket | undefined;
  #handshakeTimer: NodeJS.Timeout | undefined;
  #firstEnd: SessionEnd | undefined;
  #bytesAtOpen = { read: 0, written: 0 };
  #status: number | undefined;
  #closeCode: number | undefined;
  #decision: RoutingDecision | undefined;
  #route: RouteKind | undefined;
  #answered = false;
  #finished = false;
  #tunnel: { client: Socket; backend: Socket; fromBackend: FrameBoundaryTracker; fromClient: FrameBoundaryTracker } | undefined;
  #closing: Promise<unknown> | undefined;

  constructor(req: IncomingMessage, socket: Socket, head: Buffer, clientAddress: string, ctx: SessionContext) {
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.clientAddress = clientAddress;
    this.#ctx = ctx;
  }

  get backend(): Backend | undefined {
    return this.#backend;
  }

  get isOpen(): boolean {
    return this.#phase === 'open';
  }

  /** How the session was routed (`failover` once a later candidate took it). */
  get route(): RouteKind | undefined {
    return this.#route;
  }

  /** Starts the handshake, trying the candidates in order until one takes the connection. */
  start(decision: RoutingDecision): void {
    this.#decision = decision;
    this.#route = decision.route;
    this.#handshakeTimer = setTimeout(() => this.#fail('MOORING_ERR_BACKEND_TIMEOUT', 'handshake-timeout'), this.#ctx.handshakeTimeoutMs);
    this.#socket.on('close', () => this.#finish(this.#phase === 'open' ? this.#firstEnd ?? 'client-close' : 'client-gone-during-handshake'));
    void this.#tryCandidate(0);
  }

  /** Ends the session now, without a close frame: both sockets are destroyed. */
  terminate(reason: SessionEnd): void {
    this.#finish(reason);
  }

  /**
   * Closes an open session gently (drain deadline, shutdown): a close frame with `code` to the
   * client and a masked one to the backend, each between two frames, then both sockets end.
   * Without frame tracking, or before the upgrade, the session is simply ended.
   */
  closeGently(code: number, reason: 'drain' | 'shutdown' | 'message-too-big' | 'message-rate'): Promise<unknown> {
    if (this.#closing) return this.#closing;
    if (this.#phase !== 'open' || !this.#tunnel) {
      this.#finish(reason);
      return Promise.resolve();
    }
    this.#firstEnd = reason;
    this.#closeCode = code;
    this.#closing = closeTunnelGently(this.#tunnel, { code, graceMs: this.#ctx.closeGraceMs }).then(
      () => this.#finish(reason),
      () => this.#finish(reason),
    );
    return this.#closing;
  }

  async #tryCandidate(index: number): Promise<void> {
    const candidate = this.#decision!.order[index];
    if (!candidate) return this.#fail('MOORING_ERR_BACKEND_UNREACHABLE', 'backend-unreachable');
    const { backend } = candidate;
    // Counted from the moment it is placed, so that concurrent handshakes see each other in
    // least-connections and bounded-load decisions.
    this.#backend = backend;
    this.#ctx.pool.acquire(backend.id);
    let socket: Socket;
    try {
      socket = await connectToBackend(new URL(backend.url), this.#ctx.connectTimeoutMs);
    } catch (err) {
      if (this.#finished) return; // the client left meanwhile; #finish has released the count
      this.#ctx.pool.release(backend.id);
      this.#backend = undefined;
      this.#ctx.pool.reportFailure(backend.id);
      this.#ctx.log.warn({ err, backend: backend.id, session: this.id }, 'backend refused a websocket connection, trying the next');
      if (this.#phase === 'connecting') await this.#tryCandidate(index + 1);
      return;
    }
    if (this.#phase !== 'connecting') {
      socket.destroy();
      return;
    }
    if (index > 0) this.#route = 'failover';
    this.#handshake(backend, socket);
  }

  #handshake(backend: Backend, backendSocket: Socket): void {
    this.#phase = 'handshaking';
    this.#backendSocket = backendSocket;
    (backendSocket as Socket & { [sessionOfSocket]?: WebSocketSession })[sessionOfSocket] = this;
    backendSocket.on('error', () => {}); // reported through http-proxy's callback; this keeps a late error from being unhandled
    backendSocket.on('close', () => {
      if (this.#phase === 'handshaking') this.#fail('MOORING_ERR_BACKEND_FAILED', 'error');
      else this.#finish(this.#firstEnd ?? 'backend-close');
    });
    this.#ctx.proxy.ws(this.#req, this.#socket, this.#head, { target: backend.url, agent: preconnectedAgent(backendSocket), session: this } as HttpProxy.ServerOptions, (err: Error) => this.#onProxyError(err));
  }

  /** Called from http-proxy's `proxyReqWs`, before http-proxy adds its own listeners. */
  attachProxyRequest(proxyReq: ClientRequest): void {
    proxyReq.on('upgrade', (res: IncomingMessage, backendSocket: Socket) => this.#onUpgraded(res, backendSocket));
    // http-proxy relays a non-101 answer with its head verbatim but a body Node has already
    // de-chunked: a malformed response. Its listener is added right after this event returns,
    // and no response can arrive before a microtask, so it is replaced here by ours.
    queueMicrotask(() => {
      proxyReq.removeAllListeners('response');
      proxyReq.on('response', (res: IncomingMessage) => this.#onNon101(res));
    });
  }

  #onNon101(res: IncomingMessage): void {
    this.#status = res.statusCode;
    this.#answered = true;
    this.#clearHandshakeTimer();
    writeNon101Response(res, this.#socket, () => {
      this.#backendSocket?.destroy();
      this.#finish('backend-refused-upgrade');
    });
  }

  #onUpgraded(res: IncomingMessage, backendSocket: Socket): void {
    this.#clearHandshakeTimer();
    const decision = this.#decision!;
    // http-proxy writes these headers into the 101 right after this listener.
    if (decision.cookieMode && (decision.issueCookie || this.#route === 'failover')) appendSetCookie(res, this.#ctx.stickyCookie(this.#backend!.id));
    this.#phase = 'open';
    this.#status = 101;
    this.#bytesAtOpen = { read: this.#socket.bytesRead, written: this.#socket.bytesWritten };
    this.#ctx.pool.reportSuccess(this.#backend!.id);
    this.#ctx.onOpened(this);
    this.#socket.once('end', () => (this.#firstEnd ??= 'client-close'));
    backendSocket.once('end', () => (this.#firstEnd ??= 'backend-close'));
    if (this.#ctx.idleTimeoutMs > 0) {
      // Client-socket inactivity covers both directions: bytes either way are read or written on it.
      this.#socket.setTimeout(this.#ctx.idleTimeoutMs, () => this.#finish('idle-timeout'));
    }
    // http-proxy resets keep-alive to the system default right after this listener returns.
    queueMicrotask(() => {
      this.#socket.setKeepAlive(true, this.#ctx.tcpKeepAliveMs);
      backendSocket.setKeepAlive(true, this.#ctx.tcpKeepAliveMs);
    });
  }

  /**
   * http-proxy has just piped the two sockets (its `open` event): follow frame boundaries both
   * ways from here. The listeners join the pipes in the same tick, before the paused sockets
   * resume, so the trackers see every byte after the 101, the bytes read with it included.
   */
  onPiped(): void {
    if (!this.#ctx.frameTracking || this.#phase !== 'open' || !this.#backendSocket) return;
    this.#tunnel = trackTunnel(this.#socket, this.#backendSocket, this.#messageInspector());
  }

  /** With message limits set, every client frame header is checked; a breach closes gently. */
  #messageInspector(): FrameHeaderListener | undefined {
    const { maxMessageSize, maxMessageRate } = this.#ctx;
    if (maxMessageSize === 0 && maxMessageRate === 0) return undefined;
    const limits = new MessageLimits({ maxMessageSize, maxMessageRate });
    return (fin, opcode, length) => {
      const verdict = limits.frame(fin, opcode, length);
      if (verdict !== 'ok') void this.closeGently(verdict, verdict === 1009 ? 'message-too-big' : 'message-rate');
    };
  }

  /** The session whose backend socket this is, for http-proxy events that only name the socket. */
  static ofBackendSocket(socket: Socket): WebSocketSession | undefined {
    return (socket as Socket & { [sessionOfSocket]?: WebSocketSession })[sessionOfSocket];
  }

  #onProxyError(err: Error): void {
    if (this.#phase === 'handshaking') {
      this.#ctx.pool.reportFailure(this.#backend!.id);
      this.#ctx.log.warn({ err, backend: this.#backend!.id, session: this.id }, 'backend failed during the websocket handshake');
      this.#fail('MOORING_ERR_BACKEND_FAILED', 'error');
    } else if (this.#phase === 'open') {
      this.#firstEnd ??= 'error';
      this.#finish('error');
    }
  }

  /** The handshake cannot complete: answer the client with a proper HTTP error, then clean up. */
  #fail(code: ErrorCode, end: SessionEnd): void {
    if (this.#phase === 'open' || this.#finished || this.#answered) return;
    if (end === 'handshake-timeout' && this.#backend) this.#ctx.pool.reportFailure(this.#backend.id);
    this.#answered = true;
    refuseUpgrade(this.#socket, code);
    // A client that never reads its refusal must not hold the socket forever.
    setTimeout(() => this.#socket.destroy(), refusalFlushMs).unref();
    this.#finish(end, code);
  }

  #finish(end: SessionEnd, errorCode?: ErrorCode): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#clearHandshakeTimer();
    const wasOpen = this.#phase === 'open';
    this.#phase = 'closed';
    // A refusal written with end() is left to flush; everything else is torn down at once.
    if (!this.#answered) this.#socket.destroy();
    if (this.#closing && this.#backendSocket) {
      // The client answered a gentle close first: let our close frame reach the backend.
      const backend = this.#backendSocket;
      backend.end();
      setTimeout(() => backend.destroy(), this.#ctx.closeGraceMs).unref();
    } else {
      this.#backendSocket?.destroy();
    }
    if (this.#backend) this.#ctx.pool.release(this.#backend.id);
    this.#logEnd(end, wasOpen, errorCode);
    this.#ctx.onFinished(this, wasOpen);
  }

  #logEnd(end: SessionEnd, wasOpen: boolean, errorCode: ErrorCode | undefined): void {
    const bytes = wasOpen
      ? { bytesFromClient: this.#socket.bytesRead - this.#bytesAtOpen.read, bytesToClient: this.#socket.bytesWritten - this.#bytesAtOpen.written }
      : { bytesFromClient: 0, bytesToClient: 0 };
    this.#ctx.log.info(
      { session: this.id, backend: this.#backend?.id, route: this.#route, client: this.clientAddress, durationMs: Date.now() - this.startedAt, ...bytes, end, status: this.#status, code: errorCode, closeCode: this.#closeCode },
      'websocket session ended',
    );
  }

  #clearHandshakeTimer(): void {
    if (this.#handshakeTimer !== undefined) clearTimeout(this.#handshakeTimer);
    this.#handshakeTimer = undefined;
  }
}
