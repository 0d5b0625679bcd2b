import type { ClientRequest, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type HttpProxy from 'http-proxy';
import type { Logger } from 'pino';
import type { HttpErrorCode } from '../../core/error-registry.js';
import { refuseUpgrade } from '../error-response.js';
import type { Backend } from '../../core/backend.js';
import type { RoutingDecision } from '../../routing/session-router.js';
import type { RouteKind } from '../../core/session-record.js';
import type { BackendPool } from '../../routing/backend-pool.js';
import { refusalFlushMs } from '../../core/timings.js';
import { appendSetCookie } from '../append-set-cookie.js';
import { isEncrypted } from '../forwarded-headers.js';
import type { StickyCookie } from '../sticky-options.js';
import { connectToBackend, isTlsFailure, type SocketHandoff } from '../backend-connect.js';
import { backendTarget } from '../backend-target.js';
import { defaultCloseCode, isSendableCloseCode } from '../../protocol/close-codes.js';
import { closeFrame } from '../../protocol/close-frame.js';
import type { FrameBoundaryTracker } from '../../protocol/frame-tracker.js';
import type { MessageRule } from '../../protocol/message-rules.js';
import { parseDeflateAgreement, type DeflateAgreement } from '../../protocol/permessage-deflate.js';
import type { DataPlaneMetrics, TrafficSample } from '../data-plane-metrics.js';
import type { BalancerPings } from './balancer-pings.js';
import { injectToClient } from './client-injection.js';
import { closeTunnelGently, trackTunnel, type TrackedTunnel } from './gentle-close.js';
import { noteListeners, releaseHandshakeClosures, type ListenersBefore } from './handshake-closures.js';
import { writeNon101Response } from './non-101-response.js';
import { inspectTunnel } from './tunnel-inspection.js';
import type { TunnelParcel } from './tunnel-parcel.js';
import { TunnelPipe } from './tunnel-pipe.js';
import { quiesceTunnel, releaseReads } from './tunnel-quiesce.js';
import { Deadline, type DeadlineWheel } from '../deadline-wheel.js';
import { IdleWatch } from './idle-watch.js';
import { backendPolicy, clientPolicy } from './tunnel-policies.js';

/** How a session ended, as its log line reports it. */
export type SessionEnd =
  | 'client-close'
  | 'backend-close'
  | 'backend-gone'
  | 'error'
  | 'idle-timeout'
  | 'handshake-timeout'
  | 'backend-unreachable'
  | 'backend-refused-upgrade'
  | 'client-gone-during-handshake'
  | 'drain'
  | 'shutdown'
  | 'rebalance'
  | 'message-too-big'
  | 'message-rate'
  | 'message-rule'
  | 'ping-timeout';

/** Why a session is closed gently. */
export type GentleCloseReason =
  'drain' | 'shutdown' | 'rebalance' | 'message-too-big' | 'message-rate' | 'message-rule' | 'ping-timeout';

/** What every session of a worker shares. */
export interface SessionContext {
  readonly proxy: HttpProxy;
  /** The worker's one agent for upgrade requests: each goes out on the socket the session opened. */
  readonly handoff: SocketHandoff;
  readonly pool: BackendPool;
  readonly log: Logger;
  /** The worker's one timer for every session's handshake, idle and grace deadlines. */
  readonly deadlines: DeadlineWheel;
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
  /** Mooring's own pings to quiet clients (`--ping-interval`, `--ping-timeout`); absent: none. */
  readonly pings?: { readonly intervalMs: number; readonly timeoutMs: number };
  /** The message rules in force now (the rules file); a session keeps the one of its handshake. */
  readonly messageRules: () => readonly MessageRule[];
  readonly metrics: DataPlaneMetrics;
  /** The `Set-Cookie` value pinning a client to a backend (cookie stickiness). */
  readonly stickyCookie: StickyCookie;
  /** The CA bundle `https://` backends must chain to (from the primary's TLS material). */
  readonly backendCa: () => string | undefined;
  /** Called when the backend has accepted the upgrade. */
  readonly onOpened: (session: WebSocketSession) => void;
  /** Called once when the session is over, whatever the outcome; `wasOpen` says if it ever opened. */
  readonly onFinished: (session: WebSocketSession, wasOpen: boolean) => void;
  /** Called when another worker took the open session over (instead of `onFinished`). */
  readonly onHandedOver: (session: WebSocketSession) => void;
}

/** A tunnel at rest, ready to move: its two sockets and what the successor needs with them. */
export interface HandoverReady {
  readonly parcel: TunnelParcel;
  readonly client: Socket;
  readonly backend: Socket;
}

/**
 * `connecting`: opening TCP to a candidate; `handshaking`: the upgrade request is with the
 * backend; `open`: the tunnel relays frames; `closing`: a close is under way (gentle close, or
 * the backend went away and the client is being told); `moving`: at rest while another worker
 * is asked to take it over (see {@link WebSocketSession.prepareHandover}); `closed`: both
 * sockets are done, or, `moved`, in another worker's hands.
 */
type Phase = 'connecting' | 'handshaking' | 'open' | 'moving' | 'closing' | 'closed' | 'moved';

let sequence = 0;

const sessionOfSocket = Symbol('mooring.session');
const sessionOfClient = Symbol('mooring.clientSession');

type TaggedSocket = Socket & { [sessionOfSocket]?: WebSocketSession; [sessionOfClient]?: WebSocketSession };

/** Errors surface as the socket's `close`; one function for every socket, none per session. */
const ignoreError = (): void => {};

/** The expire function of a socket's own deadline (a refusal left to flush, a backend given its grace). */
const destroySocket = (socket: Socket): void => void socket.destroy();

/** RFC 6455 §7.4.1 / IANA registry: 1014 Bad Gateway, the server acting as a gateway got an invalid response. */
const backendGoneCloseCode = 1014;

/** Retries write no head: http-proxy already put the first attempt's back into the client socket. */
const noHead = Buffer.alloc(0);

/**
 * One proxied WebSocket from handshake to close. It guards what http-proxy's ws path does not:
 * failover before the handshake is answered (connect failures, and a backend that resets or dies
 * before answering), a handshake deadline, a well-formed answer when the backend refuses the
 * upgrade, pairing of the two sockets (either side gone ends the other, so no backend socket
 * leaks), a close frame to the client when the backend dies, an idle timeout and TCP keep-alive.
 */
export class WebSocketSession {
  readonly id: string;
  readonly clientAddress: string;
  readonly startedAt: number;
  /** The client's upgrade request and the bytes read after it: needed until the 101, then dropped. */
  #req: IncomingMessage | undefined;
  readonly #socket: Socket;
  #head: Buffer | undefined;
  /** The handshake's path, which the message rules go by. */
  readonly #path: string;
  /** The sockets' listeners before http-proxy's upgrade handler added its own, until they are removed. */
  #listenersBefore: ListenersBefore | undefined;
  readonly #ctx: SessionContext;
  #phase: Phase = 'connecting';
  #decision: RoutingDecision | undefined;
  #route: RouteKind | undefined;
  /** Index in the decision's order of the candidate being tried. */
  #attempt = 0;
  #backend: Backend | undefined;
  #backendSocket: Socket | undefined;
  #handshakeDeadline: Deadline<WebSocketSession> | undefined;
  /** The client's grace to close after the backend went away. */
  #graceDeadline: Deadline<WebSocketSession> | undefined;
  #idle: IdleWatch<WebSocketSession> | undefined;
  /** How the session ends; the first cause to be known wins. */
  #end: SessionEnd | undefined;
  #bytesAtOpen = { read: 0, written: 0 };
  /** Traffic counted so far (bytes since the 101, messages), for metrics sampled while the session lives. */
  #sampled = { read: 0, written: 0, fromClient: 0, toClient: 0 };
  #status: number | undefined;
  #closeCode: number | undefined;
  /** The client has an HTTP answer (a refusal or the backend's non-101): it must be left to flush. */
  #answered = false;
  #wasOpen = false;
  #lastFailedTls = false;
  #tunnel: TrackedTunnel | undefined;
  #closing: Promise<unknown> | undefined;
  /** What the 101 agreed for permessage-deflate, for inflating messages the rules inspect. */
  #deflate: DeflateAgreement | undefined;
  #pings: BalancerPings | undefined;
  /** Both directions are relayed (by pipes or relays) since http-proxy's `open`. */
  #piped = false;
  /** A handover under way: a gentle close asked meanwhile waits for its outcome. */
  #moving: Promise<void> | undefined;
  /** A gentle close asked while the tunnel moved: if it moves, the successor must be asked. */
  #closeAfterMove: { readonly code: number; readonly reason: GentleCloseReason } | undefined;
  #endMove: (() => void) | undefined;

  /** `adopted`: a tunnel another worker handed over (see {@link WebSocketSession.adopt}). */
  constructor(
    req: IncomingMessage | undefined,
    socket: Socket,
    head: Buffer | undefined,
    clientAddress: string,
    ctx: SessionContext,
    adopted?: TunnelParcel,
  ) {
    this.#req = req;
    this.#socket = socket;
    this.#head = head;
    this.#path = adopted?.path ?? req?.url ?? '/';
    this.id = adopted?.id ?? `${process.pid.toString(36)}-${(++sequence).toString(36)}`;
    this.startedAt = adopted?.startedAt ?? Date.now();
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

  /**
   * Bytes and messages relayed since the last sample (since the 101 for the first). Messages are
   * counted by the frame trackers, so only with frame tracking on.
   */
  sampleTraffic(): TrafficSample {
    const read = this.#socket.bytesRead - this.#bytesAtOpen.read;
    const written = this.#socket.bytesWritten - this.#bytesAtOpen.written;
    const fromClient = this.#tunnel?.fromClient.messages ?? 0;
    const toClient = this.#tunnel?.fromBackend.messages ?? 0;
    const last = this.#sampled;
    this.#sampled = { read, written, fromClient, toClient };
    return {
      backend: this.#backend?.id ?? '',
      bytesFromClient: read - last.read,
      bytesToClient: written - last.written,
      messagesFromClient: fromClient - last.fromClient,
      messagesToClient: toClient - last.toClient,
    };
  }

  /** Starts the handshake, trying the candidates in order until one takes it. */
  start(decision: RoutingDecision): void {
    this.#decision = decision;
    this.#route = decision.route;
    this.#handshakeDeadline = new Deadline<WebSocketSession>(this, WebSocketSession.#handshakeExpired);
    this.#ctx.deadlines.arm(this.#handshakeDeadline, this.#ctx.handshakeTimeoutMs);
    (this.#socket as TaggedSocket)[sessionOfClient] = this;
    this.#socket.on('close', WebSocketSession.#clientClosed);
    void this.#tryCandidate(0);
  }

  /** Ends the session now, without a close frame: both sockets are destroyed. */
  terminate(reason: SessionEnd): void {
    this.#finish(reason);
  }

  /**
   * Closes an open session gently (drain deadline, shutdown, a message limit): a close frame with
   * `code` to the client and a masked one to the backend, each between two frames, then both
   * sockets end. Without frame tracking, or before the upgrade, the session is simply ended.
   */
  closeGently(code: number, reason: GentleCloseReason): Promise<unknown> {
    if (this.#closing) return this.#closing;
    // Closed here if it stays, or by the worker that takes it (which the primary asks from then on).
    if (this.#moving) {
      this.#closeAfterMove ??= { code, reason };
      return this.#moving.then(() => this.#phase === 'open' && this.closeGently(code, reason));
    }
    if (this.#phase === 'moved') return Promise.resolve();
    if (this.#phase === 'closing') return Promise.resolve();
    if (this.#phase !== 'open' || !this.#tunnel) {
      this.#finish(reason);
      return Promise.resolve();
    }
    this.#phase = 'closing';
    this.#end = reason;
    // The code actually sent: one that may not be (a drain record written by hand) becomes 1012.
    this.#closeCode = isSendableCloseCode(code) ? code : defaultCloseCode;
    const done = (): void => this.#finish(reason);
    this.#closing = closeTunnelGently(this.#tunnel, {
      code: this.#closeCode,
      graceMs: this.#ctx.closeGraceMs,
      deadlines: this.#ctx.deadlines,
    }).then(done, done);
    return this.#closing;
  }

  async #tryCandidate(index: number): Promise<void> {
    const { order } = this.#decision!;
    const candidate = order.at(index);
    if (!candidate) return this.#refuse(this.#noCandidateLeft(order.first === undefined), 'backend-unreachable');
    const { backend } = candidate;
    this.#attempt = index;
    // Counted from the moment it is placed, so that concurrent handshakes see each other in
    // least-connections and bounded-load decisions.
    this.#backend = backend;
    this.#ctx.pool.acquire(backend.id);
    let socket: Socket;
    try {
      socket = await connectToBackend(
        backendTarget(backend).endpoint,
        this.#ctx.connectTimeoutMs,
        this.#ctx.deadlines,
        this.#ctx.backendCa(),
      );
    } catch (err) {
      if (this.#phase !== 'connecting') return; // the client left or timed out meanwhile; #finish released the count
      this.#lastFailedTls = isTlsFailure(err);
      const message = this.#lastFailedTls ? 'backend TLS handshake failed' : 'backend refused a websocket connection';
      this.#giveUpOn(backend, err, `${message}, trying the next`);
      return this.#tryCandidate(index + 1);
    }
    if (this.#phase !== 'connecting') {
      socket.destroy();
      return;
    }
    if (index > 0) this.#route = 'failover';
    this.#handshake(backend, socket, index === 0 ? this.#head! : noHead);
  }

  /** Why no candidate is left: none was eligible, the last failed its TLS handshake, or all refused. */
  #noCandidateLeft(noneEligible: boolean): HttpErrorCode {
    if (noneEligible) return 'MOORING_ERR_NO_BACKEND';
    return this.#lastFailedTls ? 'MOORING_ERR_BACKEND_TLS' : 'MOORING_ERR_BACKEND_UNREACHABLE';
  }

  /** The candidate failed before the client heard anything: release it and count the failure. */
  #giveUpOn(backend: Backend, err: unknown, message: string): void {
    this.#ctx.pool.release(backend.id);
    this.#ctx.pool.reportFailure(backend.id);
    this.#backend = undefined;
    this.#ctx.log.warn({ err, backend: backend.id, session: this.id }, message);
  }

  #handshake(backend: Backend, backendSocket: Socket, head: Buffer): void {
    this.#phase = 'handshaking';
    this.#backendSocket = backendSocket;
    (backendSocket as TaggedSocket)[sessionOfSocket] = this;
    backendSocket.on('error', ignoreError); // reported through the request or the close; never unhandled
    backendSocket.on('close', WebSocketSession.#backendClosed);
    const { handoff, proxy } = this.#ctx;
    const options = {
      target: backendTarget(backend).proxyTarget,
      agent: handoff,
      session: this,
    } as unknown as HttpProxy.ServerOptions;
    handoff.handOver(backendSocket, () =>
      proxy.ws(this.#req!, this.#socket, head, options, (err: Error) => this.#onProxyError(backendSocket, err)),
    );
  }

  /** Called from http-proxy's `proxyReqWs`, before http-proxy adds its own listeners. */
  attachProxyRequest(proxyReq: ClientRequest): void {
    const backendSocket = this.#backendSocket;
    proxyReq.on('upgrade', (res: IncomingMessage, socket: Socket) => this.#onUpgraded(res, socket));
    // http-proxy relays a non-101 answer with its head verbatim but a body Node has already
    // de-chunked (a malformed response), and on a request error it ends the client socket, which
    // would rule out failover. Its listeners are added right after this event returns, and no
    // response or socket error can arrive before a microtask, so they are replaced here by ours.
    queueMicrotask(() => {
      proxyReq.removeAllListeners('response');
      proxyReq.removeAllListeners('error');
      proxyReq.on('response', (res: IncomingMessage) => this.#onNon101(res));
      proxyReq.on('error', (err: Error) => this.#onProxyError(backendSocket, err));
    });
  }

  #onNon101(res: IncomingMessage): void {
    this.#status = res.statusCode;
    this.#ctx.metrics.upgrade(this.#backend?.id, 'backend-refused');
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
    if (decision.cookieMode && (decision.issueCookie || this.#route === 'failover'))
      appendSetCookie(res, this.#ctx.stickyCookie(this.#backend!.id, isEncrypted(this.#socket)));
    this.#phase = 'open';
    this.#wasOpen = true;
    this.#status = 101;
    this.#deflate = parseDeflateAgreement(res.headers['sec-websocket-extensions']);
    this.#bytesAtOpen = { read: this.#socket.bytesRead, written: this.#socket.bytesWritten };
    this.#ctx.pool.reportSuccess(this.#backend!.id);
    this.#ctx.metrics.upgrade(this.#backend!.id, 'accepted');
    this.#ctx.metrics.sessionOpened(this.#backend!.id);
    this.#ctx.onOpened(this);
    // `on`, not `once`: 'end' comes at most once, and a once wrapper costs an idle tunnel bytes.
    this.#watchOpenSockets(this.#socket, backendSocket);
    // http-proxy resets keep-alive to the system default right after this listener returns.
    queueMicrotask(() => {
      this.#socket.setKeepAlive(true, this.#ctx.tcpKeepAliveMs);
      backendSocket.setKeepAlive(true, this.#ctx.tcpKeepAliveMs);
    });
    // An idle tunnel keeps nothing of its handshake: see {@link onPiped}.
    this.#listenersBefore = noteListeners(this.#socket, backendSocket);
    this.#req = undefined;
    this.#head = undefined;
    this.#decision = undefined;
  }

  /**
   * http-proxy has just piped the two sockets (its `open` event): its listeners that hold on to
   * the handshake are removed (`handshake-closures.ts`), and its pipes replaced by lighter ones
   * (`tunnel-pipe.ts`) in the same tick, before the paused sockets resume, so that they carry
   * every byte after the 101, the bytes read with it included. With frame tracking they follow
   * frame boundaries both ways, and a direction is relayed frame by frame where limits, rules or
   * pings look inside it; the backend's end no longer ends the client: {@link #onBackendClosed}
   * decides whether the client gets a close frame first.
   */
  onPiped(): void {
    if (this.#listenersBefore) releaseHandshakeClosures(this.#listenersBefore);
    this.#listenersBefore = undefined;
    const backend = this.#backendSocket;
    if (this.#phase !== 'open' || !backend) return;
    this.#piped = true;
    if (!this.#ctx.frameTracking) {
      backend.unpipe(this.#socket);
      this.#socket.unpipe(backend);
      this.#pipeBytes(backend);
      return;
    }
    const { inspection, pings } = inspectTunnel(this.#ctx, {
      id: this.id,
      client: this.clientAddress,
      path: this.#path,
      backend: () => this.#backend?.id,
      deflate: this.#deflate,
      inject: (frame) => this.#tunnel && injectToClient(this.#tunnel, frame),
      closeGently: (code, reason) => void this.closeGently(code, reason),
    });
    this.#pings = pings;
    this.#tunnel = trackTunnel(this.#socket, backend, {
      client: clientPolicy(inspection),
      backend: backendPolicy(inspection),
    });
  }

  /** Without frame tracking: bytes both ways and nothing else; the backend's FIN ends the client, as a pipe's would. */
  #pipeBytes(backend: Socket): void {
    new TunnelPipe(backend, this.#socket, undefined, true).start();
    new TunnelPipe(this.#socket, backend, undefined, true).start();
  }

  /**
   * Whether the tunnel can move to another process: open and relayed, plaintext both ways (Node
   * cannot send a TLS socket: its session state lives in this process's OpenSSL), and nothing
   * looking inside it (limits, rules and pings hold state per message, zlib's among it, that
   * cannot be sent).
   */
  get movable(): boolean {
    const tunnel = this.#tunnel;
    return (
      this.#phase === 'open' &&
      this.#piped &&
      !this.#closing &&
      !this.#pings &&
      !tunnel?.clientRelay &&
      !tunnel?.backendRelay &&
      !isEncrypted(this.#socket) &&
      !isEncrypted(this.#backendSocket!)
    );
  }

  /**
   * First step of a handover (SIGHUP): brings the tunnel to rest (`tunnel-quiesce.ts`), so that
   * its two file descriptors carry the whole state of the byte streams, and describes it for the
   * successor. Resolves undefined when it cannot move (see {@link movable}) or did not come to
   * rest in `timeoutMs`: it then goes on here as before. Otherwise the caller must end the move
   * with {@link handedOver} or {@link handoverFailed}.
   */
  async prepareHandover(timeoutMs: number): Promise<HandoverReady | undefined> {
    if (!this.movable) return undefined;
    this.#phase = 'moving';
    this.#moving = new Promise<void>((resolve) => (this.#endMove = resolve));
    const client = this.#socket;
    const backend = this.#backendSocket!;
    const atRest = await quiesceTunnel(client, backend, timeoutMs);
    if (!atRest || this.#phase !== 'moving') {
      this.#settleMove(this.#phase === 'moving' ? 'open' : this.#phase);
      return undefined;
    }
    const tunnel = this.#tunnel;
    const parcel: TunnelParcel = {
      id: this.id,
      clientAddress: this.clientAddress,
      startedAt: this.startedAt,
      path: this.#path,
      backend: this.#backend!.id,
      route: this.#route ?? 'balance',
      bytesFromClient: client.bytesRead - this.#bytesAtOpen.read,
      bytesToClient: client.bytesWritten - this.#bytesAtOpen.written,
      // What this worker's metrics will have counted once {@link handedOver} takes its last sample
      // (the tunnel is at rest: nothing moves until then), so the successor counts only what follows.
      sampled: {
        read: client.bytesRead - this.#bytesAtOpen.read,
        written: client.bytesWritten - this.#bytesAtOpen.written,
        fromClient: tunnel?.fromClient.messages ?? 0,
        toClient: tunnel?.fromBackend.messages ?? 0,
      },
      trackers: tunnel && {
        fromClient: (tunnel.fromClient as FrameBoundaryTracker).position(),
        fromBackend: (tunnel.fromBackend as FrameBoundaryTracker).position(),
      },
    };
    return { parcel, client, backend };
  }

  /**
   * The successor has the tunnel and relays it: this worker lets go of its copies of the two file
   * descriptors. Closing a descriptor that another process also holds sends nothing (no FIN, no
   * RST: `destroy()` never shuts a TCP connection down), so neither peer notices. Returns the
   * gentle close asked while the tunnel moved, if any: the caller passes it on to the successor.
   */
  handedOver(): { readonly code: number; readonly reason: GentleCloseReason } | undefined {
    if (this.#phase !== 'moving') return undefined;
    this.#settleMove('moved');
    this.#ctx.metrics.sessionHandedOver(this.sampleTraffic());
    this.#clearHandshakeTimer();
    this.#idle?.stop();
    this.#socket.destroy();
    this.#backendSocket?.destroy();
    this.#ctx.pool.release(this.#backend!.id);
    this.#ctx.log.info(
      { session: this.id, backend: this.#backend?.id, client: this.clientAddress },
      'websocket session handed over to the next worker',
    );
    this.#ctx.onHandedOver(this);
    return this.#closeAfterMove;
  }

  /** The successor did not take the tunnel: it goes on here, reading again where it stopped. */
  handoverFailed(): void {
    if (this.#phase !== 'moving') return;
    releaseReads(this.#socket);
    releaseReads(this.#backendSocket!);
    this.#closeAfterMove = undefined; // closed here, by the waiting closeGently
    this.#settleMove('open');
  }

  #settleMove(phase: Phase): void {
    this.#phase = phase;
    this.#moving = undefined;
    this.#endMove?.();
    this.#endMove = undefined;
  }

  /**
   * A tunnel another worker handed over (`parcel`, with its two sockets rebuilt from the file
   * descriptors): the session goes on as if it had been here from its 101, with the same id,
   * counters and frame positions, and neither peer sees anything.
   */
  static adopt(
    parcel: TunnelParcel,
    client: Socket,
    backendSocket: Socket,
    backend: Backend,
    ctx: SessionContext,
  ): WebSocketSession {
    const session = new WebSocketSession(undefined, client, undefined, parcel.clientAddress, ctx, parcel);
    session.#resume(parcel, backendSocket, backend);
    return session;
  }

  #resume(parcel: TunnelParcel, backendSocket: Socket, backend: Backend): void {
    const client = this.#socket;
    this.#phase = 'open';
    this.#wasOpen = true;
    this.#piped = true;
    this.#status = 101;
    this.#route = parcel.route;
    this.#backend = backend;
    this.#backendSocket = backendSocket;
    (backendSocket as TaggedSocket)[sessionOfSocket] = this;
    // Counted from the 101 in the old worker: these sockets start at 0.
    this.#bytesAtOpen = { read: -parcel.bytesFromClient, written: -parcel.bytesToClient };
    this.#sampled = { ...parcel.sampled };
    this.#ctx.pool.acquire(backend.id);
    // Errors are reported through 'close' (the http server's error listener stayed in the old worker).
    (client as TaggedSocket)[sessionOfClient] = this;
    client.on('error', ignoreError);
    backendSocket.on('error', ignoreError);
    client.on('close', WebSocketSession.#clientClosed);
    backendSocket.on('close', WebSocketSession.#backendClosed);
    this.#watchOpenSockets(client, backendSocket);
    if (parcel.trackers && this.#ctx.frameTracking)
      this.#tunnel = trackTunnel(client, backendSocket, {}, parcel.trackers);
    else this.#pipeBytes(backendSocket);
    this.#ctx.metrics.sessionAdopted(backend.id);
  }

  /**
   * An open tunnel's ends and idle timeout. Client-socket inactivity covers both directions: bytes
   * either way are read or written on it.
   */
  #watchOpenSockets(client: Socket, backendSocket: Socket): void {
    client.on('end', WebSocketSession.#clientEnded);
    backendSocket.on('end', WebSocketSession.#backendEnded);
    if (this.#ctx.idleTimeoutMs > 0)
      this.#idle = new IdleWatch<WebSocketSession>(
        client,
        this.#ctx.idleTimeoutMs,
        this.#ctx.deadlines,
        this,
        WebSocketSession.#idled,
      );
  }

  // The sockets' listeners: one function each for every session of the worker (an idle tunnel
  // lives for hours, and a closure per listener costs it bytes); the session is the socket's tag.
  static #clientClosed(this: TaggedSocket): void {
    const session = this[sessionOfClient];
    if (session) session.#finish(session.#wasOpen ? 'client-close' : 'client-gone-during-handshake');
  }

  static #clientEnded(this: TaggedSocket): void {
    const session = this[sessionOfClient];
    if (session) session.#end ??= 'client-close';
  }

  static #idled(session: WebSocketSession): void {
    session.#finish('idle-timeout');
  }

  static #handshakeExpired(session: WebSocketSession): void {
    session.#refuse('MOORING_ERR_BACKEND_TIMEOUT', 'handshake-timeout');
  }

  static #graceOver(session: WebSocketSession): void {
    session.#finish(session.#end ?? 'backend-gone');
  }

  static #backendClosed(this: TaggedSocket): void {
    const session = this[sessionOfSocket];
    if (session) session.#onBackendClosed(this);
  }

  static #backendEnded(this: TaggedSocket): void {
    const session = this[sessionOfSocket];
    if (session) session.#end ??= 'backend-close';
  }

  /** The session whose backend socket this is, for http-proxy events that only name the socket. */
  static ofBackendSocket(socket: Socket): WebSocketSession | undefined {
    return (socket as TaggedSocket)[sessionOfSocket];
  }

  #onProxyError(backendSocket: Socket | undefined, err: Error): void {
    if (backendSocket !== this.#backendSocket) return; // an attempt already given up
    if (this.#phase === 'handshaking') this.#handshakeFailed(err);
    else if (this.#phase === 'open') this.#backendGone();
  }

  #onBackendClosed(backendSocket: Socket): void {
    if (backendSocket !== this.#backendSocket) return;
    if (this.#phase === 'handshaking') this.#handshakeFailed(undefined);
    else if (this.#phase === 'open' || this.#phase === 'moving') this.#backendGone();
  }

  /**
   * The backend reset or closed before answering the upgrade. The client has heard nothing yet,
   * so the handshake goes to the next candidate, as an idempotent GET would.
   */
  #handshakeFailed(err: Error | undefined): void {
    if (this.#answered) return;
    const backend = this.#backend!;
    const socket = this.#backendSocket;
    this.#backendSocket = undefined;
    socket?.destroy();
    this.#phase = 'connecting';
    this.#giveUpOn(backend, err, 'backend failed during the websocket handshake, trying the next');
    void this.#tryCandidate(this.#attempt + 1);
  }

  /**
   * The backend's connection ended under an open tunnel. If it sent its own close frame, the
   * client has it. Otherwise, where the backend → client direction is at a frame boundary, the
   * client gets a close frame (1014 Bad Gateway) instead of a bare TCP close (1006); then its
   * socket is ended and given the grace to close.
   */
  #backendGone(): void {
    const tunnel = this.#tunnel;
    if (!tunnel) return this.#finish(this.#end ?? 'backend-close');
    this.#phase = 'closing';
    const client = this.#socket;
    // The backend closed properly (its close frame went through), or answered a client that left.
    if (tunnel.fromBackend.closeSeen || this.#end === 'client-close') {
      this.#end ??= 'backend-close';
    } else {
      this.#end = 'backend-gone';
      if (tunnel.fromBackend.atBoundary && client.writable) {
        this.#closeCode = backendGoneCloseCode;
        client.write(closeFrame(backendGoneCloseCode, 'backend went away', false));
      }
    }
    if (!client.writableEnded) client.end();
    this.#graceDeadline = new Deadline<WebSocketSession>(this, WebSocketSession.#graceOver);
    this.#ctx.deadlines.arm(this.#graceDeadline, this.#ctx.closeGraceMs);
  }

  /** The handshake cannot complete: answer the client with a proper HTTP error, then clean up. */
  #refuse(code: HttpErrorCode, end: SessionEnd): void {
    if (this.#phase !== 'connecting' && this.#phase !== 'handshaking') return;
    if (this.#answered) return;
    if (end === 'handshake-timeout' && this.#backend) this.#ctx.pool.reportFailure(this.#backend.id);
    this.#answered = true;
    this.#ctx.metrics.refused(code);
    this.#ctx.metrics.upgrade(this.#backend?.id, code);
    refuseUpgrade(this.#socket, code);
    // A client that never reads its refusal must not hold the socket forever.
    this.#ctx.deadlines.arm(new Deadline(this.#socket, destroySocket), refusalFlushMs);
    this.#finish(end, code);
  }

  #finish(end: SessionEnd, errorCode?: HttpErrorCode): void {
    if (this.#phase === 'closed' || this.#phase === 'moved') return;
    this.#settleMove('closed');
    this.#clearHandshakeTimer();
    if (this.#graceDeadline) this.#ctx.deadlines.disarm(this.#graceDeadline);
    this.#idle?.stop();
    this.#pings?.destroy();
    // A refusal written with end() is left to flush; everything else is torn down at once.
    if (!this.#answered) this.#socket.destroy();
    const backend = this.#backendSocket;
    if (this.#closing && backend && !backend.destroyed) {
      // The client answered a gentle close first: let our close frame reach the backend.
      backend.end();
      this.#ctx.deadlines.arm(new Deadline(backend, destroySocket), this.#ctx.closeGraceMs);
    } else {
      backend?.destroy();
    }
    if (this.#backend) this.#ctx.pool.release(this.#backend.id);
    const reported = this.#wasOpen ? (this.#end ?? end) : end;
    if (this.#wasOpen)
      this.#ctx.metrics.sessionClosed(
        this.sampleTraffic(),
        reported,
        this.#closeCode,
        (Date.now() - this.startedAt) / 1000,
      );
    else if (!this.#answered) this.#ctx.metrics.upgrade(this.#backend?.id, end);
    this.#logEnd(reported, errorCode);
    this.#ctx.onFinished(this, this.#wasOpen);
  }

  #logEnd(end: SessionEnd, errorCode: HttpErrorCode | undefined): void {
    const bytes = this.#wasOpen
      ? {
          bytesFromClient: this.#socket.bytesRead - this.#bytesAtOpen.read,
          bytesToClient: this.#socket.bytesWritten - this.#bytesAtOpen.written,
        }
      : { bytesFromClient: 0, bytesToClient: 0 };
    this.#ctx.log.info(
      {
        session: this.id,
        backend: this.#backend?.id,
        route: this.#route,
        client: this.clientAddress,
        durationMs: Date.now() - this.startedAt,
        ...bytes,
        end,
        status: this.#status,
        code: errorCode,
        closeCode: this.#closeCode,
      },
      'websocket session ended',
    );
  }

  #clearHandshakeTimer(): void {
    if (this.#handshakeDeadline) this.#ctx.deadlines.disarm(this.#handshakeDeadline);
    this.#handshakeDeadline = undefined;
  }
}
