/** Why a tracker stopped parsing: the stream broke a rule of RFC 6455 §5.2 / §5.5. */
export type FrameViolation =
  'reserved-opcode' | 'fragmented-control-frame' | 'control-frame-too-long' | 'length-msb-set' | 'length-too-large';

/** The longest frame header: 2 bytes, 8 of extended payload length, 4 of masking key. */
const maxHeaderLength = 14;
const closeOpcode = 0x8;

/** The header length announced by the second header byte (mask bit and 7-bit length). */
function headerLength(secondByte: number): number {
  const length7 = secondByte & 0x7f;
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
  return 2 + extended + (secondByte & 0x80 ? 4 : 0);
}

/** What is wrong with a header's first byte and 7-bit length, if anything (RFC 6455 §5.2, §5.5). */
function firstBytesViolation(firstByte: number, length7: number): FrameViolation | undefined {
  const opcode = firstByte & 0x0f;
  // 0x0–0x2 are data frames, 0x8–0xA control frames; the rest are reserved.
  if ((opcode > 0x2 && opcode < 0x8) || opcode > 0xa) return 'reserved-opcode';
  if (opcode < 0x8) return undefined;
  if ((firstByte & 0x80) === 0) return 'fragmented-control-frame';
  if (length7 > 125) return 'control-frame-too-long';
  return undefined;
}

/**
 * A tracker's whole position, as plain data: what a worker handing a tunnel to its successor
 * sends over IPC so that the successor goes on parsing from the very byte where it stopped.
 */
export interface TrackerPosition {
  readonly remaining: number;
  readonly opcode: number;
  /** The bytes of a header split across chunks (at most 13). */
  readonly partial: readonly number[];
  readonly violation: FrameViolation | undefined;
  readonly closeSeen: boolean;
  readonly fin: boolean;
  readonly frames: number;
  readonly messages: number;
  readonly bytes: number;
}

function readUInt32(bytes: Uint8Array, at: number): number {
  return ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
}

/**
 * Follows the frame boundaries of one direction of a WebSocket byte stream, from the first byte
 * after the 101 response, by parsing only frame headers (RFC 6455 §5.2): payloads are skipped by
 * count, never copied or unmasked. RSV bits are ignored (permessage-deflate sets RSV1), so any
 * extension's frames are followed. The state is a few numbers plus, only while a header is split
 * across chunks, up to 13 header bytes.
 *
 * A header that breaks §5.2 makes the tracker `broken`: from then on boundaries are unknown and
 * nothing more is parsed.
 *
 * Feed it with {@link observe} for every chunk forwarded in that direction, in order. Whoever needs
 * to stop at the next boundary (a gentle close) calls {@link claim} and then feeds it with
 * {@link consumeToBoundary}, so that the original `observe` listener cannot count bytes twice.
 */
export class FrameBoundaryTracker {
  /** Payload bytes of the current frame not observed yet. */
  #remaining = 0;
  #opcode = 0;
  /** The bytes of a header split across chunks; allocated the first time that happens. */
  #partial: Uint8Array | undefined;
  #partialLength = 0;
  #violation: FrameViolation | undefined;
  #claimed = false;
  #closeSeen = false;
  #fin = false;
  #frames = 0;
  #messages = 0;
  #bytes = 0;

  /** Whether everything observed so far ends exactly at the end of a frame. */
  get atBoundary(): boolean {
    return this.#violation === undefined && this.#remaining === 0 && this.#partialLength === 0;
  }

  /** Whether a header broke RFC 6455 §5.2; the boundaries are then unknown. */
  get broken(): boolean {
    return this.#violation !== undefined;
  }

  /** The rule the stream broke, for logs; undefined while it is well-formed. */
  get violation(): FrameViolation | undefined {
    return this.#violation;
  }

  /** Whether a complete close frame (opcode 0x8) has been observed. */
  get closeSeen(): boolean {
    return this.#closeSeen;
  }

  /** Complete frames observed. */
  get frames(): number {
    return this.#frames;
  }

  /** Complete messages observed: data frames with FIN (the last or only frame of a message). */
  get messages(): number {
    return this.#messages;
  }

  /** Bytes observed. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Whether {@link claim} was called. */
  get claimed(): boolean {
    return this.#claimed;
  }

  /**
   * Bytes still to come before the current frame ends: 0 at a boundary, undefined while a header
   * is incomplete (its length is not known yet) or once the tracker is broken.
   */
  bytesToBoundary(): number | undefined {
    if (this.#violation !== undefined || this.#partialLength > 0) return undefined;
    return this.#remaining;
  }

  /** The position to go on from in another process ({@link FrameBoundaryTracker.resume}). */
  position(): TrackerPosition {
    return {
      remaining: this.#remaining,
      opcode: this.#opcode,
      partial: this.#partial ? [...this.#partial.subarray(0, this.#partialLength)] : [],
      violation: this.#violation,
      closeSeen: this.#closeSeen,
      fin: this.#fin,
      frames: this.#frames,
      messages: this.#messages,
      bytes: this.#bytes,
    };
  }

  /**
   * A tracker that goes on from `position` (taken by {@link position} in another process). The
   * position comes over IPC from our own worker, but is checked anyway: a header longer than the
   * longest one, or counts that are not counts, throw instead of parsing garbage.
   */
  static resume(position: TrackerPosition): FrameBoundaryTracker {
    const counts = [position.remaining, position.frames, position.messages, position.bytes];
    if (!counts.every((count) => Number.isSafeInteger(count) && count >= 0))
      throw new RangeError('tracker position: counts must be non-negative integers');
    const { partial } = position;
    // A partial header is shorter than the header its second byte announces (at most 13 bytes).
    if (!Array.isArray(partial) || (partial.length >= 2 && partial.length >= headerLength(partial[1]! & 0xff)))
      throw new RangeError('tracker position: not a partial frame header');
    if (position.partial.length > 0 && position.remaining > 0)
      throw new RangeError('tracker position: a partial header and a payload cannot both be pending');
    const tracker = new FrameBoundaryTracker();
    tracker.#remaining = position.remaining;
    tracker.#opcode = position.opcode & 0x0f;
    if (position.partial.length > 0) {
      tracker.#partial = new Uint8Array(maxHeaderLength);
      tracker.#partial.set(position.partial.map((byte) => byte & 0xff));
      tracker.#partialLength = position.partial.length;
    }
    tracker.#violation = position.violation;
    tracker.#closeSeen = position.closeSeen === true;
    tracker.#fin = position.fin === true;
    tracker.#frames = position.frames;
    tracker.#messages = position.messages;
    tracker.#bytes = position.bytes;
    return tracker;
  }

  /** Observes a whole chunk forwarded in this direction. Ignored once {@link claim} was called. */
  observe(chunk: Buffer): void {
    if (this.#claimed) return;
    this.#bytes += chunk.length;
    if (this.#violation === undefined) this.#scan(chunk, 0, false);
  }

  /** Makes {@link observe} a no-op: from now on the caller feeds the tracker with {@link consumeToBoundary}. */
  claim(): void {
    if (this.#claimed) return;
    this.#claimed = true;
  }

  /**
   * Observes `chunk` from `start` up to and including the end of the next frame to end, and returns
   * the offset just after the last byte observed: `chunk.length` when no frame ends in the rest of
   * the chunk, or when the tracker is (or becomes) broken. Works whether or not the tracker is claimed.
   */
  consumeToBoundary(chunk: Buffer, start = 0): number {
    const end = this.#violation === undefined ? this.#scan(chunk, start, true) : chunk.length;
    this.#bytes += end - start;
    return end;
  }

  /** The parsing loop: O(frames) per chunk, no allocation. Returns where it stopped. */
  #scan(chunk: Uint8Array, start: number, untilBoundary: boolean): number {
    const end = chunk.length;
    let pos = start;
    while (pos < end) {
      if (this.#remaining > 0) {
        if (end - pos < this.#remaining) {
          this.#remaining -= end - pos;
          return end;
        }
        pos += this.#remaining;
        this.#remaining = 0;
      } else if (this.#partialLength === 0 && end - pos >= 2 && end - pos >= headerLength(chunk[pos + 1]!)) {
        pos = this.#beginFrame(chunk, pos);
      } else {
        pos = this.#collectHeader(chunk, pos);
        if (this.#partialLength > 0) return end;
      }
      if (this.#violation !== undefined) return end;
      if (this.#remaining === 0) {
        this.#endFrame();
        if (untilBoundary) return pos;
      }
    }
    return pos;
  }

  /**
   * Copies header bytes until the header is complete (then parses it) or the chunk ends.
   * Copies at most 13 bytes: the 14th would complete the longest header.
   */
  #collectHeader(chunk: Uint8Array, pos: number): number {
    const partial = (this.#partial ??= new Uint8Array(maxHeaderLength));
    while (pos < chunk.length) {
      partial[this.#partialLength++] = chunk[pos++]!;
      if (this.#partialLength >= 2 && this.#partialLength === headerLength(partial[1]!)) {
        this.#partialLength = 0;
        this.#beginFrame(partial, 0);
        break;
      }
    }
    return pos;
  }

  /** Parses a complete header at `at` and returns the offset of its payload. */
  #beginFrame(bytes: Uint8Array, at: number): number {
    const first = bytes[at]!;
    const second = bytes[at + 1]!;
    let length = second & 0x7f;
    let payloadAt = at + (second & 0x80 ? 6 : 2);
    this.#violation = firstBytesViolation(first, length);
    this.#opcode = first & 0x0f;
    this.#fin = (first & 0x80) !== 0;
    if (length === 126) {
      length = (bytes[at + 2]! << 8) | bytes[at + 3]!;
      payloadAt += 2;
    } else if (length === 127) {
      payloadAt += 8;
      // 64-bit length as two 32-bit halves. §5.2: the most significant bit must be 0; beyond
      // 2^53 - 1 (high half above 0x1FFFFF) a JavaScript number cannot count the payload.
      const high = readUInt32(bytes, at + 2);
      if (high >= 0x80000000) this.#violation = 'length-msb-set';
      else if (high > 0x1fffff) this.#violation = 'length-too-large';
      length = high * 0x1_0000_0000 + readUInt32(bytes, at + 6);
    }
    this.#remaining = this.#violation === undefined ? length : 0;
    return payloadAt;
  }

  #endFrame(): void {
    this.#frames++;
    if (this.#opcode === closeOpcode) this.#closeSeen = true;
    else if (this.#fin && this.#opcode < closeOpcode) this.#messages++;
  }
}
