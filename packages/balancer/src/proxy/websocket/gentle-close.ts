import type { Socket } from 'node:net';
import { defaultCloseCode, isSendableCloseCode } from '../../protocol/close-codes.js';
import { closeFrame } from '../../protocol/close-frame.js';
import { FrameBoundaryTracker, type TrackerPosition } from '../../protocol/frame-tracker.js';
import { InspectingRelay, type RelayPolicy } from './inspecting-relay.js';
import { TunnelPipe } from './tunnel-pipe.js';
import { Deadline, type DeadlineWheel } from '../deadline-wheel.js';

/**
 * A proxied WebSocket after its 101: each direction carried by a {@link TunnelPipe} that feeds
 * the direction's tracker with every byte after the 101, or by an {@link InspectingRelay} where
 * something looks inside it (see {@link trackTunnel}). {@link closeTunnelGently} relies on
 * exactly this arrangement.
 */
export interface TrackedTunnel {
  readonly client: Socket;
  readonly backend: Socket;
  /** Follows the backend → client bytes. */
  readonly fromBackend: DirectionState;
  /** Follows the client → backend bytes. */
  readonly fromClient: DirectionState;
  /** Relays that carry a direction in place of its pipe, when something looks inside it. */
  readonly clientRelay?: InspectingRelay;
  readonly backendRelay?: InspectingRelay;
  /** The pipes of the other directions, which a gentle close stops to take them over. */
  readonly clientPipe?: TunnelPipe;
  readonly backendPipe?: TunnelPipe;
}

/** What a tunnel knows of one direction: a tracker's view (piped) or a relay's (inspected). */
export interface DirectionState {
  /** Whether what reached the other side ends at a frame boundary. */
  readonly atBoundary: boolean;
  readonly closeSeen: boolean;
  /** Complete messages relayed. */
  readonly messages: number;
}

/** Options of {@link closeTunnelGently}. */
export interface GentleCloseOptions {
  /** The worker's deadline wheel, which times the boundary wait and the grace. */
  readonly deadlines: DeadlineWheel;
  /** Close code sent both ways; default 1012 (Service Restart), also used for a code that may not be sent. */
  readonly code?: number;
  /** Close reason, truncated to fit a control frame; default none. */
  readonly reason?: string;
  /** How long both peers get to close their connections once the close frames are out; default 2000 ms. */
  readonly graceMs?: number;
  /** How long each direction may take to reach the end of its current frame; default `graceMs`. */
  readonly boundaryMs?: number;
}

/** `clean`: both sockets closed within the grace; `forced`: they were destroyed (deadline or socket error). */
export type GentleCloseOutcome = 'clean' | 'forced';

/**
 * Carries both directions of a tunnel from the first byte after the 101, each with a tracker.
 * Call it in the tick the sockets were handed over (for http-proxy: in its `open` event, whose
 * pipes it removes), before they resume, so that nothing flows uncounted. A direction given a
 * policy is carried by an {@link InspectingRelay}, the others by a {@link TunnelPipe}; the
 * backend's FIN does not end the client (the session decides whether a close frame goes first).
 * `resumeFrom`: the trackers' positions of a tunnel another worker handed over.
 */
export function trackTunnel(
  client: Socket,
  backend: Socket,
  policies: { readonly client?: RelayPolicy; readonly backend?: RelayPolicy } = {},
  resumeFrom?: { readonly fromClient: TrackerPosition; readonly fromBackend: TrackerPosition },
): TrackedTunnel {
  backend.unpipe(client);
  client.unpipe(backend);
  const clientRelay = policies.client && new InspectingRelay(client, backend, policies.client);
  const backendRelay = policies.backend && new InspectingRelay(backend, client, policies.backend);
  clientRelay?.start();
  backendRelay?.start();
  // A tunnel handed over by another worker goes on from its trackers' positions (piped directions only).
  const tracker = (position: TrackerPosition | undefined): FrameBoundaryTracker =>
    position ? FrameBoundaryTracker.resume(position) : new FrameBoundaryTracker();
  const fromClient = clientRelay ? undefined : tracker(resumeFrom?.fromClient);
  const fromBackend = backendRelay ? undefined : tracker(resumeFrom?.fromBackend);
  return {
    client,
    backend,
    fromBackend: backendRelay ?? fromBackend!,
    fromClient: clientRelay ?? fromClient!,
    clientRelay,
    backendRelay,
    clientPipe: fromClient && new TunnelPipe(client, backend, fromClient, true).start(),
    backendPipe: fromBackend && new TunnelPipe(backend, client, fromBackend, false).start(),
  };
}

const closing = new WeakMap<Socket, Promise<GentleCloseOutcome>>();

/**
 * Closes a tunnel the way a WebSocket server going away would (RFC 6455 §7.1.2, §5.5.1): each
 * direction is unpiped and, at its next frame boundary, gets a close frame instead of what would
 * follow (unmasked toward the client, masked toward the backend); nothing is forwarded after it.
 * A direction whose tracker is broken gets no frame: its sink is just ended. Then the client is
 * ended once it answers (its close frame or FIN); the backend closes on its own. Sockets still
 * open after `graceMs` are destroyed.
 *
 * Starts on the next tick, so it is safe to call from inside a `data` listener of either socket.
 * A second call for the same tunnel returns the first call's promise. Never throws, never rejects.
 *
 * Note: a code that may not be sent (see `isSendableCloseCode`) is replaced by the default 1012
 * Service Restart, and the close goes ahead normally. The config and the CLI refuse such codes,
 * but a drain record written by hand or by an old CLI can still carry one.
 */
export function closeTunnelGently(tunnel: TrackedTunnel, options: GentleCloseOptions): Promise<GentleCloseOutcome> {
  const pending = closing.get(tunnel.client);
  if (pending) return pending;
  // Called from drain timers and signal handlers, where a throw kills the worker and every client
  // gets 1006: a close the peers understand is better than none.
  const code = options.code !== undefined && isSendableCloseCode(options.code) ? options.code : defaultCloseCode;
  const toClient = closeFrame(code, options.reason, false);
  const toBackend = closeFrame(code, options.reason, true);
  const graceMs = options.graceMs ?? 2_000;
  const boundaryMs = options.boundaryMs ?? graceMs;
  const promise = new Promise<GentleCloseOutcome>((resolve) => {
    process.nextTick(() => {
      const procedure = new GentleClose(
        tunnel,
        { toClient, toBackend },
        { graceMs, boundaryMs, deadlines: options.deadlines },
        resolve,
      );
      try {
        procedure.start();
      } catch {
        // A tick later nobody could catch it; the tunnel is still closed, just not gently.
        procedure.abandon();
      }
    });
  });
  closing.set(tunnel.client, promise);
  return promise;
}

/**
 * One direction's part in a gentle close: forwarding until the current frame ends, then `sealed`:
 * a close frame was written (or the source had already sent its own close frame, or the sink was
 * ended without a frame). While sealed, the source is still read and parsed, only to notice its
 * close frame; its bytes are dropped.
 */
interface ClosingDirection {
  /** A close frame went out (or the sink was ended without one). */
  readonly sealed: boolean;
  /** The source sent its FIN. */
  readonly sourceEnded: boolean;
  /** The source sent its own close frame. */
  readonly closeSeen: boolean;
  start(): void;
}

/** A relayed direction closes itself: the relay knows where its frames end. */
class RelayedDirection implements ClosingDirection {
  constructor(
    readonly relay: InspectingRelay,
    readonly frame: Buffer,
    readonly onChange: () => void,
  ) {}

  get sealed(): boolean {
    return this.relay.sealed;
  }

  get sourceEnded(): boolean {
    return this.relay.sourceEnded;
  }

  get closeSeen(): boolean {
    return this.relay.closeSeen;
  }

  start(): void {
    this.relay.seal(this.frame, this.onChange);
  }
}

class PipedDirection implements ClosingDirection {
  #sealed = false;
  #sourceEnded = false;

  constructor(
    readonly source: Socket,
    readonly sink: Socket,
    /** Absent for a tunnel that forwards nothing (its sockets already gone). */
    readonly pipe: TunnelPipe | undefined,
    readonly tracker: FrameBoundaryTracker,
    readonly frame: Buffer,
    readonly onChange: () => void,
  ) {}

  get sealed(): boolean {
    return this.#sealed;
  }

  get closeSeen(): boolean {
    return this.tracker.closeSeen;
  }

  /** Whether the source has sent its FIN. */
  get sourceEnded(): boolean {
    return this.#sourceEnded;
  }

  start(): void {
    // The pipe must not count or forward what this direction now feeds its tracker.
    this.tracker.claim();
    this.pipe?.stop();
    this.source.on('data', this.#onData);
    this.source.on('end', this.#onEnd);
    if (this.tracker.broken) this.#seal(false);
    else if (this.tracker.atBoundary) this.#seal(true);
    if (this.source.readableEnded) this.#onEnd();
    this.source.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    let offset = 0;
    if (!this.#sealed) {
      offset = this.tracker.consumeToBoundary(chunk);
      if (this.tracker.broken || !this.sink.writable) {
        this.#seal(false);
      } else {
        this.#forward(chunk.subarray(0, offset));
        if (this.tracker.atBoundary) this.#seal(true);
      }
    }
    const { tracker } = this;
    const answered = tracker.closeSeen;
    while (offset < chunk.length && !tracker.closeSeen && !tracker.broken)
      offset = tracker.consumeToBoundary(chunk, offset);
    if (tracker.closeSeen && !answered) this.onChange();
  };

  readonly #onEnd = (): void => {
    if (this.#sourceEnded) return;
    this.#sourceEnded = true;
    // Ended in the middle of a frame: that frame will never be complete, so no frame can follow it.
    if (!this.#sealed) this.#seal(false);
    else this.onChange();
  };

  /** Forwards the rest of the current frame, with backpressure: a slow sink pauses the source. */
  #forward(bytes: Buffer): void {
    if (bytes.length === 0 || this.sink.write(bytes)) return;
    this.source.pause();
    this.sink.once('drain', () => this.source.resume());
  }

  #seal(withFrame: boolean): void {
    if (this.#sealed) return;
    this.#sealed = true;
    // After a close frame nothing may follow (§5.5.1): if the source sent one, it was the last frame.
    if (withFrame && !this.tracker.closeSeen) {
      if (this.sink.writable) this.sink.write(this.frame);
    } else if (!withFrame && !this.sink.writableEnded) {
      this.sink.end();
    }
    this.source.resume();
    this.onChange();
  }
}

interface GentleCloseTiming {
  readonly graceMs: number;
  readonly boundaryMs: number;
  readonly deadlines: DeadlineWheel;
}

class GentleClose {
  readonly #tunnel: TrackedTunnel;
  readonly #toClient: ClosingDirection;
  readonly #toBackend: ClosingDirection;
  readonly #timing: GentleCloseTiming;
  readonly #resolve: (outcome: GentleCloseOutcome) => void;
  readonly #deadline: Deadline<GentleClose> = new Deadline<GentleClose>(this, GentleClose.#forced);
  #graceStarted = false;
  #done = false;

  constructor(
    tunnel: TrackedTunnel,
    frames: { toClient: Buffer; toBackend: Buffer },
    timing: GentleCloseTiming,
    resolve: (outcome: GentleCloseOutcome) => void,
  ) {
    this.#tunnel = tunnel;
    this.#timing = timing;
    this.#resolve = resolve;
    const check = (): void => this.#check();
    this.#toClient = tunnel.backendRelay
      ? new RelayedDirection(tunnel.backendRelay, frames.toClient, check)
      : new PipedDirection(
          tunnel.backend,
          tunnel.client,
          tunnel.backendPipe,
          tunnel.fromBackend as FrameBoundaryTracker,
          frames.toClient,
          check,
        );
    this.#toBackend = tunnel.clientRelay
      ? new RelayedDirection(tunnel.clientRelay, frames.toBackend, check)
      : new PipedDirection(
          tunnel.client,
          tunnel.backend,
          tunnel.clientPipe,
          tunnel.fromClient as FrameBoundaryTracker,
          frames.toBackend,
          check,
        );
  }

  start(): void {
    const { client, backend } = this.#tunnel;
    for (const socket of [client, backend]) {
      socket.on('error', this.#onError);
      socket.once('close', () => this.#check());
    }
    this.#timing.deadlines.arm(this.#deadline, this.#timing.boundaryMs);
    this.#toClient.start();
    this.#toBackend.start();
    this.#check();
  }

  readonly #onError = (): void => this.#finish('forced');

  static #forced(procedure: GentleClose): void {
    procedure.#finish('forced');
  }

  /** Destroys both sockets at once. */
  abandon(): void {
    this.#finish('forced');
  }

  /** Advances the procedure after any change; called from event handlers, so it never throws. */
  #check(): void {
    if (this.#done) return;
    const { client, backend } = this.#tunnel;
    // The client has our close frame and has answered (close frame or FIN): a server closes the
    // TCP connection first (§7.1.1), so end it. The backend, being the server, closes on its own;
    // once it has sent its FIN, finish our side too.
    if (this.#toClient.sealed && (this.#toBackend.closeSeen || this.#toBackend.sourceEnded)) endSocket(client);
    if (this.#toBackend.sealed && this.#toClient.sourceEnded) endSocket(backend);
    if (client.closed && backend.closed) return this.#finish('clean');
    if (this.#toClient.sealed && this.#toBackend.sealed && !this.#graceStarted) {
      this.#graceStarted = true;
      this.#timing.deadlines.arm(this.#deadline, this.#timing.graceMs);
    }
  }

  #finish(outcome: GentleCloseOutcome): void {
    if (this.#done) return;
    this.#done = true;
    this.#timing.deadlines.disarm(this.#deadline);
    if (outcome === 'forced') {
      this.#tunnel.client.destroy();
      this.#tunnel.backend.destroy();
    }
    this.#resolve(outcome);
  }
}

function endSocket(socket: Socket): void {
  if (!socket.writableEnded && !socket.destroyed) socket.end();
}
