import type { Socket } from 'node:net';
import type { FrameBoundaryTracker } from '../../protocol/frame-tracker.js';

const nothing = Buffer.alloc(0);

/**
 * Relays a tunnel's client → backend bytes itself, in place of a pipe, when client messages are
 * inspected (message limits): a frame its tracker's listener vetoes never reaches the backend,
 * not one byte of it. A frame header announces the payload length before any payload (RFC 6455
 * §5.2), so a message over the size limit or the rate is stopped as soon as its header is read,
 * however it is written: in one go or dribbled byte by byte.
 *
 * The bytes of a header split across reads are held back until the header is complete, so that
 * a vetoed header is not half forwarded. Everything forwarded ends at a frame boundary when a
 * veto comes, which lets the gentle close write its close frame right there. When the tracker is
 * claimed (a gentle close takes over the direction), the held bytes are handed to the backend and
 * the gate steps aside.
 */
export class ClientFrameGate {
  readonly #source: Socket;
  readonly #sink: Socket;
  readonly #tracker: FrameBoundaryTracker;
  /** Stream offset of the next byte to forward; the held bytes start there. */
  #forwarded = 0;
  #held: Buffer = nothing;
  #done = false;

  constructor(source: Socket, sink: Socket, tracker: FrameBoundaryTracker) {
    this.#source = source;
    this.#sink = sink;
    this.#tracker = tracker;
  }

  /** Replaces the source's pipe to the sink. Call it in the tick the pipe was set up. */
  start(): void {
    this.#source.unpipe(this.#sink);
    this.#tracker.onClaim(() => this.#handOver());
    this.#source.on('data', this.#onData);
    this.#source.on('end', this.#onEnd);
    this.#source.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    if (this.#done) return;
    const tracker = this.#tracker;
    tracker.observe(chunk);
    // `pending` holds the stream bytes from #forwarded up to everything observed.
    const pending = this.#held.length > 0 ? Buffer.concat([this.#held, chunk]) : chunk;
    const vetoedAt = tracker.vetoedAt;
    const safeEnd = vetoedAt ?? (tracker.broken ? tracker.bytes : tracker.bytes - tracker.partialHeaderLength);
    const count = safeEnd - this.#forwarded;
    this.#write(pending.subarray(0, count));
    this.#forwarded = safeEnd;
    // Copied: a few header bytes must not keep a whole 64 KiB read alive.
    this.#held = vetoedAt === undefined && count < pending.length ? Buffer.from(pending.subarray(count)) : nothing;
    if (vetoedAt !== undefined) this.#done = true;
  };

  readonly #onEnd = (): void => {
    if (this.#done) return;
    this.#done = true;
    // The client ended inside a header: forward what there is, as a pipe would have.
    if (this.#held.length > 0) this.#write(this.#held);
    this.#held = nothing;
    if (!this.#sink.writableEnded) this.#sink.end();
  };

  #handOver(): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#held.length > 0) this.#write(this.#held);
    this.#held = nothing;
  }

  /** Forwards with backpressure: a slow backend pauses the client. */
  #write(bytes: Buffer): void {
    if (bytes.length === 0 || !this.#sink.writable || this.#sink.write(bytes)) return;
    this.#source.pause();
    this.#sink.once('drain', () => this.#source.resume());
  }
}
