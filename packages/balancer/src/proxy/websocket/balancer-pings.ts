import { buildFrame, opcodes } from '../../protocol/frame-header.js';
import { Deadline, type DeadlineWheel } from '../deadline-wheel.js';

/** What the pings of one tunnel need from it. */
export interface PingTarget {
  /** Writes a frame to the client at the next frame boundary of what the backend sends it. */
  inject(frame: Buffer): void;
  /** No pong and no other client traffic within the timeout: the tunnel is closed. */
  timedOut(): void;
}

/**
 * Mooring's own pings to one client (RFC 6455 §5.5.2): `interval` after the last bytes the client
 * sent, a ping with a payload that names Mooring and this ping; the pong that echoes it is
 * Mooring's, not the backend's, and is dropped by the relay. Any client traffic within the
 * timeout counts as an answer, so clients that talk are never pinged needlessly; none at all, and
 * the tunnel is closed. One deadline per tunnel on the worker's wheel, re-armed at most once per
 * interval (hearing the client only notes the time), and disarmed with {@link destroy}.
 */
export class BalancerPings {
  readonly #target: PingTarget;
  readonly #intervalMs: number;
  readonly #timeoutMs: number;
  readonly #name: string;
  readonly #wheel: DeadlineWheel;
  readonly #deadline: Deadline<BalancerPings>;
  #lastHeard = Date.now();
  /** When the ping awaiting its answer went out; undefined while none is. */
  #pingedAt: number | undefined;
  #sent = 0;
  /** The payload of the ping awaiting its pong, if any. */
  #expected: Buffer | undefined;
  #destroyed = false;

  constructor(
    target: PingTarget,
    options: { intervalMs: number; timeoutMs: number; name: string; wheel: DeadlineWheel },
  ) {
    this.#target = target;
    this.#wheel = options.wheel;
    this.#deadline = new Deadline<BalancerPings>(this, BalancerPings.#due);
    this.#intervalMs = options.intervalMs;
    this.#timeoutMs = options.timeoutMs;
    this.#name = options.name;
    this.#arm(this.#intervalMs);
  }

  /** The client sent something: it is alive. */
  heard(): void {
    this.#lastHeard = Date.now();
  }

  /** Whether a control frame from the client is the pong to Mooring's ping (then it is not forwarded). */
  isOwnPong(opcode: number, payload: Buffer): boolean {
    if (opcode !== opcodes.pong || !this.#expected || !payload.equals(this.#expected)) return false;
    this.#expected = undefined;
    // Answered: the next ping is due an interval from now, not when the timeout would have struck.
    this.#pingedAt = undefined;
    this.#arm(this.#intervalMs);
    return true;
  }

  destroy(): void {
    this.#destroyed = true;
    this.#wheel.disarm(this.#deadline);
  }

  #arm(delayMs: number): void {
    if (this.#destroyed) return;
    this.#wheel.arm(this.#deadline, Math.max(1, delayMs));
  }

  static #due(pings: BalancerPings): void {
    pings.#check();
  }

  #check(): void {
    const now = Date.now();
    if (this.#pingedAt !== undefined) {
      if (this.#lastHeard >= this.#pingedAt) {
        this.#pingedAt = undefined; // answered (its pong, or anything else)
      } else {
        return this.#target.timedOut();
      }
    }
    const silentMs = now - this.#lastHeard;
    if (silentMs < this.#intervalMs) return this.#arm(this.#intervalMs - silentMs);
    this.#expected = Buffer.from(`mooring ${this.#name} ${++this.#sent}`);
    this.#pingedAt = now;
    this.#target.inject(buildFrame(opcodes.ping, this.#expected));
    this.#arm(this.#timeoutMs);
  }
}
