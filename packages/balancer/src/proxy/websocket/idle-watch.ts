import type { Socket } from 'node:net';
import { Deadline, type DeadlineWheel } from '../deadline-wheel.js';

/** Looks this many times per idle timeout: the tunnel is closed between 1 and 1 + 1/4 timeouts after its last byte. */
const looksPerTimeout = 4;

/**
 * An open tunnel's idle timeout on the worker's wheel, instead of `socket.setTimeout`, which
 * re-arms a Node timer on every read and write and costs each tunnel a Timeout, a bound function
 * and a `once` wrapper. Here nothing runs per byte: every quarter of the timeout the watch looks
 * whether the client socket's byte counts moved (bytes either way are read or written on it),
 * and after four looks in a row that saw none, the tunnel has been silent for at least the
 * timeout and `onIdle` gets the owner.
 */
export class IdleWatch<Owner> {
  readonly #socket: Socket;
  readonly #wheel: DeadlineWheel;
  readonly #lookMs: number;
  readonly #onIdle: (owner: Owner) => void;
  readonly #deadline: Deadline<IdleWatch<Owner>>;
  readonly #owner: Owner;
  #bytesSeen: number;
  #quietLooks = 0;

  constructor(socket: Socket, timeoutMs: number, wheel: DeadlineWheel, owner: Owner, onIdle: (owner: Owner) => void) {
    this.#socket = socket;
    this.#wheel = wheel;
    this.#lookMs = timeoutMs / looksPerTimeout;
    this.#owner = owner;
    this.#onIdle = onIdle;
    this.#bytesSeen = this.#bytes();
    this.#deadline = new Deadline<IdleWatch<Owner>>(this, IdleWatch.#look);
    wheel.arm(this.#deadline, this.#lookMs);
  }

  stop(): void {
    this.#wheel.disarm(this.#deadline);
  }

  #bytes(): number {
    return this.#socket.bytesRead + (this.#socket.bytesWritten ?? 0);
  }

  static #look<Owner>(watch: IdleWatch<Owner>): void {
    const bytes = watch.#bytes();
    if (bytes !== watch.#bytesSeen) {
      watch.#bytesSeen = bytes;
      watch.#quietLooks = 0;
    } else if (++watch.#quietLooks >= looksPerTimeout) {
      return watch.#onIdle(watch.#owner);
    }
    watch.#wheel.arm(watch.#deadline, watch.#lookMs);
  }
}
