import { constants, inflateRawSync } from 'node:zlib';

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

/** The largest LZ77 window (2^15): whatever the sender's window, its back-references fit in it. */
const maxWindow = 1 << 15;

/** The tail a sender strips from each compressed message (RFC 7692 §7.2.1), put back to inflate it. */
const syncTail = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** The outcome of inflating one message. */
export type InflateResult =
  | { readonly kind: 'ok'; readonly data: Buffer }
  | { readonly kind: 'too-big' }
  | { readonly kind: 'corrupt'; readonly reason: string };

/**
 * Inflates the messages of one direction for inspection, one at a time, each within a byte
 * budget: a decompression bomb is `too-big` after at most `budget` bytes were produced, never an
 * out-of-memory. Context takeover (RFC 7692 §7.2.2) is followed by inflating each message with the
 * last window's worth of the previous plaintext as preset dictionary, which puts the inflater in
 * the state the sender's compressor kept; synchronous, so no message overtakes another.
 */
export class MessageInflater {
  readonly #direction: DeflateDirection;
  #window: Buffer = Buffer.alloc(0);
  #broken = false;

  constructor(direction: DeflateDirection) {
    this.#direction = direction;
  }

  inflate(compressed: Buffer, budget: number): InflateResult {
    if (this.#broken) return { kind: 'corrupt', reason: 'an earlier message could not be inflated' };
    const { noContextTakeover } = this.#direction;
    const dictionary = noContextTakeover || this.#window.length === 0 ? undefined : this.#window;
    let data: Buffer;
    try {
      data = inflateRawSync(Buffer.concat([compressed, syncTail]), {
        // The largest window reads what any smaller one wrote; the dictionary holds 32 KiB.
        windowBits: 15,
        finishFlush: constants.Z_SYNC_FLUSH,
        maxOutputLength: Math.max(1, budget),
        ...(dictionary ? { dictionary } : {}),
      });
    } catch (err) {
      // Either way the context is lost: later messages of this direction cannot be read.
      this.#broken = true;
      const code = (err as NodeJS.ErrnoException).code;
      return code === 'ERR_BUFFER_TOO_LARGE'
        ? { kind: 'too-big' }
        : { kind: 'corrupt', reason: (err as Error).message };
    }
    if (!noContextTakeover) {
      const joined = Buffer.concat([this.#window, data]);
      // Copied when cut: a slice would keep a large message alive for as long as the tunnel.
      this.#window = joined.length > maxWindow ? Buffer.from(joined.subarray(-maxWindow)) : joined;
    }
    return { kind: 'ok', data };
  }
}
