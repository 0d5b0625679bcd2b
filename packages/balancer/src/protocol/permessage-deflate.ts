import { constants, createInflateRaw, type InflateRaw } from 'node:zlib';

/** What the 101 response agreed for permessage-deflate (RFC 7692 §7.1), for one direction. */
export interface DeflateDirection {
  /** The sender resets its compression context after each message (`*_no_context_takeover`). */
  readonly noContextTakeover: boolean;
  /** The sender's LZ77 window, 8 to 15 bits (`*_max_window_bits`; 15 when not said). */
  readonly windowBits: number;
}

/** Both directions' parameters, when the extension was negotiated. */
export interface DeflateAgreement {
  /** What the client compresses with: client → backend messages. */
  readonly client: DeflateDirection;
  /** What the backend compresses with: backend → client messages. */
  readonly server: DeflateDirection;
}

/**
 * The permessage-deflate agreement in a 101's `Sec-WebSocket-Extensions` (the server's answer is
 * what holds), or undefined when it was not negotiated. Only the first offer's parameters count.
 */
export function parseDeflateAgreement(header: string | string[] | undefined): DeflateAgreement | undefined {
  const text = Array.isArray(header) ? header.join(',') : header;
  if (!text) return undefined;
  for (const extension of text.split(',')) {
    const [name, ...parameters] = extension.split(';').map((part) => part.trim());
    if (name?.toLowerCase() !== 'permessage-deflate') continue;
    const params = new Map(
      parameters.map((parameter) => {
        const [key = '', value] = parameter.split('=').map((part) => part.trim().replace(/^"|"$/g, ''));
        return [key.toLowerCase(), value] as const;
      }),
    );
    const bits = (key: string): number => {
      const value = Number(params.get(key));
      return Number.isInteger(value) && value >= 8 && value <= 15 ? value : 15;
    };
    return {
      client: {
        noContextTakeover: params.has('client_no_context_takeover'),
        windowBits: bits('client_max_window_bits'),
      },
      server: {
        noContextTakeover: params.has('server_no_context_takeover'),
        windowBits: bits('server_max_window_bits'),
      },
    };
  }
  return undefined;
}

/** The tail a sender strips from each compressed message (RFC 7692 §7.2.1), put back to inflate it. */
const syncTail = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** The outcome of inflating one message. */
export type InflateResult =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'too-big' }
  | { readonly kind: 'corrupt'; readonly reason: string };

/**
 * One zlib inflate stream stepped synchronously. Node documents no synchronous call on a
 * long-lived stream (`inflateRawSync` and `_processChunk` close theirs after one buffer), so this
 * drives the stream's native handle the way Node's own synchronous path does: `writeSync` consumes
 * input into an output buffer and leaves what is left of each in `_writeState`. A zlib error
 * destroys the stream synchronously, which `errored` reports.
 */
interface ZlibHandle {
  writeSync(
    flush: number,
    input: Buffer,
    inputOffset: number,
    inputLength: number,
    output: Buffer,
    outputOffset: number,
    outputLength: number,
  ): void;
}
interface SteppableInflate extends InflateRaw {
  readonly _handle: ZlibHandle | null;
  readonly _writeState: Uint32Array;
}

/** Output is produced in pieces of this size, so that a bomb stops within one piece of its budget. */
const outputPiece = 16 * 1024;

/** Every byte `engine` makes of `input`, up to `budget`; `unread` is input left after the stream ended. */
function step(
  engine: SteppableInflate,
  input: Buffer,
  budget: number,
): { kind: 'ok'; data: Buffer; unread: number } | { kind: 'too-big' } | { kind: 'corrupt'; reason: string } {
  const handle = engine._handle;
  if (!handle) return { kind: 'corrupt', reason: 'the inflater is closed' };
  const pieces: Buffer[] = [];
  let produced = 0;
  let offset = 0;
  for (;;) {
    const output = Buffer.allocUnsafe(outputPiece);
    handle.writeSync(constants.Z_SYNC_FLUSH, input, offset, input.length - offset, output, 0, outputPiece);
    if (engine.errored) return { kind: 'corrupt', reason: engine.errored.message };
    const [outputLeft = 0, inputLeft = 0] = engine._writeState;
    const made = outputPiece - outputLeft;
    if (made > 0) pieces.push(output.subarray(0, made));
    produced += made;
    if (produced > budget) return { kind: 'too-big' };
    offset = input.length - inputLeft;
    // zlib stops early only when the output was full; otherwise it took all it could.
    if (outputLeft > 0) return { kind: 'ok', data: Buffer.concat(pieces, produced), unread: inputLeft };
  }
}

/**
 * Inflates the messages of one direction for inspection, in order, each within a byte budget: a
 * decompression bomb is `too-big` after at most `budget` bytes were produced, never an
 * out-of-memory. With context takeover (RFC 7692 §7.2.2) the inflater is one DEFLATE stream for
 * the whole tunnel, fed each message and its sync tail exactly as a receiving backend feeds its
 * own: a message that stops inside a block leaves both mid-block, so the next message is read by
 * Mooring as the backend reads it, never as a fresh start the backend does not make. Synchronous,
 * so no message overtakes another.
 */
export class MessageInflater {
  readonly #direction: DeflateDirection;
  #engine: SteppableInflate | undefined;
  #broken = false;

  constructor(direction: DeflateDirection) {
    this.#direction = direction;
  }

  inflate(compressed: Buffer, budget: number): InflateResult {
    if (this.#broken) return { kind: 'corrupt', reason: 'an earlier message could not be inflated' };
    const engine = (this.#engine ??= openInflate());
    const result = step(engine, Buffer.concat([compressed, syncTail]), Math.max(1, budget));
    if (result.kind !== 'ok') {
      // Either way the context is lost: later messages of this direction cannot be read.
      this.#broken = true;
      engine.close();
      return result;
    }
    if (this.#direction.noContextTakeover) engine.reset();
    else if (result.unread > 0) return this.#endOfStream(result.unread, result.data);
    return { kind: 'ok', data: result.data };
  }

  /**
   * The sender ended its DEFLATE stream (BFINAL, RFC 7692 §7.2.3.3) within this message. Only the
   * sync tail may follow the end, and the next message starts a new stream; anything else after
   * it is data no receiver reads the same way.
   */
  #endOfStream(unread: number, data: Buffer): InflateResult {
    if (unread > syncTail.length) {
      this.#broken = true;
      return { kind: 'corrupt', reason: 'bytes after the end of the DEFLATE stream' };
    }
    this.#engine!.reset();
    return { kind: 'ok', data };
  }
}

function openInflate(): SteppableInflate {
  // The largest window reads what any smaller one wrote.
  const engine = createInflateRaw({ windowBits: 15 }) as SteppableInflate;
  if (typeof engine._handle?.writeSync !== 'function' || !(engine._writeState instanceof Uint32Array)) {
    throw new Error('this Node.js zlib has no synchronous stream step; compressed messages cannot be inspected');
  }
  // The error is read from `errored` where it happens; the event would come a tick later, unheard.
  engine.on('error', () => {});
  return engine;
}
