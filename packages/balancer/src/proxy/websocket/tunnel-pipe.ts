import type { Socket } from 'node:net';
import type { FrameBoundaryTracker } from '../../protocol/frame-tracker.js';

/**
 * One direction of an open tunnel, source → sink, in place of `source.pipe(sink)`: the same
 * forwarding with backpressure, in one `data` listener that also feeds the direction's frame
 * tracker. An idle WebSocket lives for hours, and a stream pipe costs it a closure per event
 * (`ondata`, `onerror`, `onclose`, `onfinish`, `onunpipe`, `cleanup`…) and three once-wrappers,
 * both ways: over a KiB per tunnel that this keeps to an object and three listeners. Errors and
 * closes need no handling here: the session pairs the sockets and tears both down.
 */
export class TunnelPipe {
  readonly #source: Socket;
  readonly #sink: Socket;
  readonly #tracker: FrameBoundaryTracker | undefined;
  /** Made only where needed: an idle tunnel never waits for a drain, and only one direction ends its sink. */
  readonly #onEnd: (() => void) | undefined;
  #onDrain: (() => void) | undefined;
  #waitingForDrain = false;

  /** `endSink`: the source's FIN ends the sink, as `pipe()` does by default. */
  constructor(source: Socket, sink: Socket, tracker: FrameBoundaryTracker | undefined, endSink: boolean) {
    this.#source = source;
    this.#sink = sink;
    this.#tracker = tracker;
    if (endSink)
      this.#onEnd = () => {
        if (!sink.writableEnded) sink.end();
      };
  }

  /** Starts forwarding; call it in the tick the source's earlier pipe was removed, before it resumes. */
  start(): this {
    this.#source.on('data', this.#onData);
    if (this.#onEnd) this.#source.on('end', this.#onEnd);
    this.#source.resume();
    return this;
  }

  /** Stops forwarding (a gentle close takes the direction over); the source is left as it is. */
  stop(): void {
    this.#source.removeListener('data', this.#onData);
    if (this.#onEnd) this.#source.removeListener('end', this.#onEnd);
    if (this.#onDrain) this.#sink.removeListener('drain', this.#onDrain);
    this.#waitingForDrain = false;
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#tracker?.observe(chunk);
    // A sink that has ended or gone takes nothing more; the session is closing the tunnel.
    if (!this.#sink.writable || this.#sink.write(chunk) || this.#waitingForDrain) return;
    this.#waitingForDrain = true;
    this.#source.pause();
    this.#onDrain ??= () => {
      this.#waitingForDrain = false;
      this.#source.resume();
    };
    this.#sink.once('drain', this.#onDrain);
  };
}
