import type { Socket } from 'node:net';
import { isControl, opcodes, readFrameHeader, type FrameHeader } from '../../protocol/frame-header.js';
import { applyMask } from '../../protocol/masking.js';

/** What a relay does with a complete message it held for inspection. */
export type MessageVerdict = { readonly kind: 'forward' } | { readonly kind: 'close'; readonly code: number };

/** The decisions a relay asks for, frame by frame and message by message. */
export interface RelayPolicy {
  /** A data frame's header: a close code stops the frame before any of it is forwarded (a limit). */
  onDataHeader(header: FrameHeader): number | undefined;
  /** Whether messages are held until complete and inspected (content rules), or streamed through. */
  readonly inspect: boolean;
  /** Largest message held for inspection, in bytes on the wire: over it, the frame is refused with 1009. */
  readonly holdLimit: number;
  /** A complete message held for inspection (payload unmasked, still compressed if `compressed`). */
  onMessage(text: boolean, compressed: boolean, payload: Buffer): MessageVerdict;
  /** A complete control frame: true drops it (the pong that answers Mooring's own ping). */
  dropControl(opcode: number, payload: Buffer): boolean;
  /** A frame or message was refused: the relay forwards nothing more; close the tunnel with `code`. */
  onRefused(code: number): void;
  /** Bytes came from the source (for liveness: a client that talks needs no ping). */
  onTraffic?(): void;
}

/** The frame being read: its header, what is left of it, and what to do with its bytes. */
interface CurrentFrame {
  readonly header: FrameHeader;
  mode: 'stream' | 'hold' | 'control' | 'skip';
  remaining: number;
  /** Offset in the payload of the next byte (for unmasking in pieces). */
  offset: number;
  /** Raw bytes of a control frame, to forward it whole once decided. */
  readonly raw: Buffer[];
  /** Unmasked payload of a control frame or of an inspected data frame. */
  readonly plain: Buffer[];
}

/** The message being held for inspection. */
interface HeldMessage {
  readonly text: boolean;
  readonly compressed: boolean;
  /** Raw bytes to forward if it passes, interleaved control frames included, in order. */
  readonly raw: Buffer[];
  readonly plain: Buffer[];
  size: number;
}

const nothing = Buffer.alloc(0);

/**
 * One direction of a WebSocket tunnel relayed frame by frame, in place of a pipe, when something
 * must look inside: message limits (a frame over them is stopped at its header, RFC 6455 §5.2),
 * content rules (a message is held, fragments and all (§5.4), until it is complete and passes),
 * and Mooring's own pings (the pong answering one is not forwarded). What it forwards is the
 * source's bytes unchanged (compressed messages stay compressed); everything it forwards ends at
 * a frame boundary when it stops, so a close frame can follow at once.
 *
 * `seal()` is the gentle close: the frame being streamed is finished, a held message that was not
 * inspected yet is dropped, the close frame goes out, and nothing follows; the source is still
 * read, only to notice its close frame and FIN.
 */
export class InspectingRelay {
  readonly #source: Socket;
  readonly #sink: Socket;
  readonly #policy: RelayPolicy;
  #header: Buffer = nothing;
  #frame: CurrentFrame | undefined;
  #held: HeldMessage | undefined;
  #stopped = false;
  #sealFrame: Buffer | null | undefined;
  #sealed = false;
  #closeSeen = false;
  #sourceEnded = false;
  #messages = 0;
  #broken = false;
  #onChange: () => void = () => undefined;
  #afterFrame: Buffer[] = [];

  constructor(source: Socket, sink: Socket, policy: RelayPolicy) {
    this.#source = source;
    this.#sink = sink;
    this.#policy = policy;
  }

  /** Takes the source over from its pipe to the sink. Call it in the tick the pipe was set up. */
  start(): void {
    this.#source.unpipe(this.#sink);
    this.#source.on('data', this.#onData);
    this.#source.on('end', this.#onEnd);
    this.#source.resume();
  }

  /** Whether what was forwarded ends at a frame boundary (nothing of a frame is half sent). */
  get atBoundary(): boolean {
    return !this.#broken && (this.#frame === undefined || this.#frame.mode !== 'stream');
  }

  /** Whether the source sent a complete close frame. */
  get closeSeen(): boolean {
    return this.#closeSeen;
  }

  get sealed(): boolean {
    return this.#sealed;
  }

  get sourceEnded(): boolean {
    return this.#sourceEnded;
  }

  /** Messages relayed (data frames with FIN), for metrics. */
  get messages(): number {
    return this.#messages;
  }

  /** Writes a frame of Mooring's own (a ping) at the next boundary of what is forwarded. */
  inject(frame: Buffer): void {
    if (this.#sealed || this.#stopped) return;
    if (this.atBoundary) this.#write(frame);
    else this.#afterFrame.push(frame);
  }

  /**
   * The gentle close of this direction: `frame` (a close frame) at the next boundary, or the sink
   * just ended when `frame` is null (a broken stream: no boundary can be found). `onChange` hears
   * of the seal, of the source's close frame and of its FIN.
   */
  seal(frame: Buffer | null, onChange: () => void): void {
    this.#onChange = onChange;
    if (this.#sealed || this.#sealFrame !== undefined) return;
    this.#sealFrame = this.#broken ? null : frame;
    if (this.atBoundary) this.#completeSeal();
    if (this.#source.readableEnded) this.#onEnd();
    this.#source.resume();
  }

  readonly #onData = (chunk: Buffer): void => {
    this.#policy.onTraffic?.();
    if (this.#broken) {
      if (!this.#sealed) this.#write(chunk);
      return;
    }
    let pos = 0;
    // One chunk becomes several writes (headers, payload pieces): corked, they leave as one writev.
    this.#sink.cork();
    try {
      while (pos < chunk.length && !this.#broken)
        pos = this.#frame ? this.#readPayload(chunk, pos) : this.#readHeader(chunk, pos);
    } finally {
      this.#sink.uncork();
    }
  };

  readonly #onEnd = (): void => {
    if (this.#sourceEnded) return;
    this.#sourceEnded = true;
    if (this.#sealFrame !== undefined || this.#sealed) {
      // Ended inside the frame being finished: it will never end, so no frame can follow it.
      if (!this.#sealed) {
        this.#sealFrame = null;
        this.#completeSeal();
      }
      return this.#onChange();
    }
    if (!this.#stopped && !this.#sink.writableEnded) this.#sink.end();
  };

  /** Reads a header (from the bytes held back of a split one and the chunk); returns where the chunk goes on. */
  #readHeader(chunk: Buffer, pos: number): number {
    const bytes = this.#header.length > 0 ? Buffer.concat([this.#header, chunk.subarray(pos)]) : chunk.subarray(pos);
    const read = readFrameHeader(bytes);
    if (read.kind === 'incomplete') {
      // Copied: a few header bytes must not keep a whole read alive.
      this.#header = Buffer.from(bytes);
      return chunk.length;
    }
    const consumed = (read.kind === 'header' ? read.header.headerLength : 0) - this.#header.length;
    const headerBytes = read.kind === 'header' ? Buffer.from(bytes.subarray(0, read.header.headerLength)) : nothing;
    const held = this.#header;
    this.#header = nothing;
    if (read.kind === 'violation') {
      // Boundaries are lost: relay the rest as it is, and let the peer refuse it.
      this.#broken = true;
      if (!this.#sealed && !this.#stopped) this.#write(Buffer.concat([held, chunk.subarray(pos)]));
      return chunk.length;
    }
    this.#beginFrame(read.header, headerBytes);
    if (read.header.payloadLength === 0) this.#endFrame();
    return pos + consumed;
  }

  #beginFrame(header: FrameHeader, headerBytes: Buffer): void {
    const mode = this.#modeFor(header);
    this.#frame = { header, mode, remaining: header.payloadLength, offset: 0, raw: [], plain: [] };
    if (mode === 'stream') this.#write(headerBytes);
    else if (mode === 'hold') this.#held!.raw.push(headerBytes);
    else if (mode === 'control') this.#frame.raw.push(headerBytes);
  }

  /** What to do with a frame, decided at its header. */
  #modeFor(header: FrameHeader): CurrentFrame['mode'] {
    if (this.#sealed || this.#sealFrame !== undefined || this.#stopped)
      return isControl(header.opcode) ? 'control' : 'skip';
    if (isControl(header.opcode)) return 'control';
    const refusal = this.#policy.onDataHeader(header) ?? this.#holdRefusal(header);
    if (refusal !== undefined) {
      this.#refuse(refusal);
      return 'skip';
    }
    if (!this.#policy.inspect) return 'stream';
    if (header.opcode !== opcodes.continuation || !this.#held) {
      this.#held = { text: header.opcode === opcodes.text, compressed: header.rsv1, raw: [], plain: [], size: 0 };
    }
    this.#held.size += header.payloadLength;
    return 'hold';
  }

  /** A held message may not outgrow what inspection keeps in memory. */
  #holdRefusal(header: FrameHeader): number | undefined {
    if (!this.#policy.inspect) return undefined;
    const before = header.opcode === opcodes.continuation ? (this.#held?.size ?? 0) : 0;
    return before + header.payloadLength > this.#policy.holdLimit ? 1009 : undefined;
  }

  #readPayload(chunk: Buffer, pos: number): number {
    const frame = this.#frame!;
    const take = Math.min(frame.remaining, chunk.length - pos);
    const piece = chunk.subarray(pos, pos + take);
    if (frame.mode === 'stream') this.#write(piece);
    else if (frame.mode !== 'skip') this.#collect(frame, piece);
    frame.remaining -= take;
    frame.offset += take;
    if (frame.remaining === 0) this.#endFrame();
    return pos + take;
  }

  #collect(frame: CurrentFrame, piece: Buffer): void {
    const key = frame.header.maskKey;
    const plain = key ? applyMask(piece, key, frame.offset) : Buffer.from(piece);
    if (frame.mode === 'hold') {
      this.#held!.raw.push(Buffer.from(piece));
      this.#held!.plain.push(plain);
    } else {
      frame.raw.push(Buffer.from(piece));
      frame.plain.push(plain);
    }
  }

  #endFrame(): void {
    const frame = this.#frame!;
    this.#frame = undefined;
    if (frame.mode === 'control') this.#endControl(frame);
    else if (frame.header.fin && frame.mode !== 'skip') this.#endMessage(frame);
    if (this.#sealFrame !== undefined && !this.#sealed) this.#completeSeal();
    else if (this.#afterFrame.length > 0 && this.atBoundary)
      for (const injected of this.#afterFrame.splice(0)) this.#write(injected);
  }

  #endControl(frame: CurrentFrame): void {
    const payload = Buffer.concat(frame.plain);
    if (frame.header.opcode === opcodes.close && !this.#closeSeen) {
      this.#closeSeen = true;
      this.#onChange();
    }
    if (this.#sealed || this.#sealFrame !== undefined || this.#stopped) return;
    if (this.#policy.dropControl(frame.header.opcode, payload)) return;
    const raw = Buffer.concat(frame.raw);
    // Inside a held message, a control frame waits its turn: nothing may overtake what came first.
    if (this.#held) this.#held.raw.push(raw);
    else this.#write(raw);
  }

  #endMessage(frame: CurrentFrame): void {
    this.#messages++;
    if (frame.mode !== 'hold') return;
    const held = this.#held!;
    this.#held = undefined;
    const verdict = this.#policy.onMessage(held.text, held.compressed, Buffer.concat(held.plain));
    if (verdict.kind === 'close') return this.#refuse(verdict.code);
    this.#write(Buffer.concat(held.raw));
  }

  #refuse(code: number): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#dropHeld();
    this.#policy.onRefused(code);
  }

  /** A held message will never be forwarded: what is left of its frame is read and dropped. */
  #dropHeld(): void {
    this.#held = undefined;
    if (this.#frame?.mode === 'hold') this.#frame.mode = 'skip';
  }

  #completeSeal(): void {
    this.#sealed = true;
    this.#dropHeld();
    this.#afterFrame = [];
    const frame = this.#sealFrame;
    if (frame && this.#sink.writable) this.#sink.write(frame);
    else if (!frame && !this.#sink.writableEnded) this.#sink.end();
    this.#onChange();
  }

  /** Forwards with backpressure: a slow sink pauses the source. */
  #write(bytes: Buffer): void {
    if (bytes.length === 0 || !this.#sink.writable || this.#sink.write(bytes)) return;
    this.#source.pause();
    this.#sink.once('drain', () => this.#source.resume());
  }
}
