import { randomBytes } from 'node:crypto';
import { constants, createDeflateRaw, deflateRawSync, type DeflateRaw } from 'node:zlib';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import {
  MessageInflater,
  parseDeflateAgreement,
  type DeflateAgreement,
  type DeflateDirection,
  type InflateResult,
} from '../../src/protocol/permessage-deflate.js';
import { propertySettings } from '../property/fast-check-settings.js';

/** The empty stored block a sync flush ends with; senders strip it (RFC 7692 §7.2.1). */
const syncTail = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MiB = 1 << 20;

function stripTail(compressed: Buffer): Buffer {
  expect(compressed.subarray(-4).equals(syncTail)).toBe(true);
  return compressed.subarray(0, -4);
}

/**
 * A permessage-deflate sender with context takeover (RFC 7692 §7.2.1), as ws and browsers do it:
 * one long-lived raw deflate stream, flushed with Z_SYNC_FLUSH after each message.
 */
class ContextTakeoverSender {
  readonly #deflate: DeflateRaw;
  readonly #chunks: Buffer[] = [];

  constructor(windowBits = 15) {
    this.#deflate = createDeflateRaw({ windowBits });
    this.#deflate.on('data', (chunk: Buffer) => this.#chunks.push(chunk));
  }

  compress(message: Buffer): Promise<Buffer> {
    return new Promise((resolve) => {
      this.#deflate.write(message);
      this.#deflate.flush(constants.Z_SYNC_FLUSH, () => resolve(stripTail(Buffer.concat(this.#chunks.splice(0)))));
    });
  }

  close(): void {
    this.#deflate.close();
  }
}

/** A sender without context takeover: every message compressed alone. */
function compressAlone(message: Buffer, windowBits = 15): Buffer {
  return stripTail(deflateRawSync(message, { windowBits, finishFlush: constants.Z_SYNC_FLUSH }));
}

const takeover = (windowBits = 15): DeflateDirection => ({ noContextTakeover: false, windowBits });
const noTakeover = (windowBits = 15): DeflateDirection => ({ noContextTakeover: true, windowBits });

function okData(result: InflateResult): Buffer {
  if (result.kind !== 'ok') throw new Error(`expected ok, got ${JSON.stringify(result)}`);
  return result.data;
}

/** Whether inflating `compressed` on its own, with no history, gives back exactly `message`. */
function inflatesAlone(compressed: Buffer, message: Buffer): boolean {
  const result = new MessageInflater(noTakeover()).inflate(compressed, 64 * MiB);
  return result.kind === 'ok' && result.data.equals(message);
}

/** Chat-like messages: each repeats most of what came before, as real traffic does. */
function chatMessages(count: number): Buffer[] {
  const users = ['alice', 'bob', 'carol'];
  return Array.from({ length: count }, (_, i) =>
    Buffer.from(
      JSON.stringify({
        type: 'chat.message',
        room: 'mooring-general',
        user: users[i % users.length],
        text: i % 4 === 0 ? 'hello everyone, the deploy is done' : `reply number ${i} to the deploy thread`,
        seq: i,
      }),
    ),
  );
}

const senders: ContextTakeoverSender[] = [];
afterEach(() => {
  for (const sender of senders.splice(0)) sender.close();
});

function sender(windowBits?: number): ContextTakeoverSender {
  const created = new ContextTakeoverSender(windowBits);
  senders.push(created);
  return created;
}

describe('parseDeflateAgreement (RFC 7692 §7.1)', () => {
  const both = (client: DeflateDirection, server: DeflateDirection): DeflateAgreement => ({ client, server });
  const plain = { noContextTakeover: false, windowBits: 15 };
  const cases: Array<[string, string | string[] | undefined, DeflateAgreement | undefined]> = [
    ['no header', undefined, undefined],
    ['an empty header', '', undefined],
    ['another extension only', 'x-webkit-deflate-frame', undefined],
    ['a name that only starts like it', 'permessage-deflate-x; server_max_window_bits=9', undefined],
    ['no parameters: both 15, with takeover', 'permessage-deflate', both(plain, plain)],
    [
      'server_no_context_takeover',
      'permessage-deflate; server_no_context_takeover',
      both(plain, { noContextTakeover: true, windowBits: 15 }),
    ],
    [
      'client_no_context_takeover and server bits',
      'permessage-deflate; client_no_context_takeover; server_max_window_bits=10',
      both({ noContextTakeover: true, windowBits: 15 }, { noContextTakeover: false, windowBits: 10 }),
    ],
    [
      'every parameter',
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8; client_max_window_bits=12',
      both({ noContextTakeover: true, windowBits: 12 }, { noContextTakeover: true, windowBits: 8 }),
    ],
    [
      'quoted values',
      'permessage-deflate; client_max_window_bits="12"; server_max_window_bits="9"',
      both({ noContextTakeover: false, windowBits: 12 }, { noContextTakeover: false, windowBits: 9 }),
    ],
    [
      'any case, odd spacing',
      'PerMessage-Deflate ;  Server_Max_Window_Bits = 11 ;SERVER_NO_CONTEXT_TAKEOVER',
      both(plain, { noContextTakeover: true, windowBits: 11 }),
    ],
    [
      'after another extension',
      'x-webkit-deflate-frame; no_context_takeover, permessage-deflate; server_max_window_bits=13',
      both(plain, { noContextTakeover: false, windowBits: 13 }),
    ],
    [
      "another extension's parameters do not count",
      'x-custom; server_no_context_takeover; server_max_window_bits=9, permessage-deflate',
      both(plain, plain),
    ],
    [
      'only the first permessage-deflate counts',
      'permessage-deflate; server_max_window_bits=10, permessage-deflate; server_max_window_bits=12',
      both(plain, { noContextTakeover: false, windowBits: 10 }),
    ],
    ['client_max_window_bits without a value: 15', 'permessage-deflate; client_max_window_bits', both(plain, plain)],
    ...['7', '16', '0', '-9', 'abc', '', '9.5', '""'].map((bits): [string, string, DeflateAgreement] => [
      `invalid bits ${JSON.stringify(bits)}: 15`,
      `permessage-deflate; server_max_window_bits=${bits}; client_max_window_bits=${bits}`,
      both(plain, plain),
    ]),
    [
      'an array of header lines',
      ['x-webkit-deflate-frame', 'permessage-deflate; server_no_context_takeover; server_max_window_bits=9'],
      both(plain, { noContextTakeover: true, windowBits: 9 }),
    ],
    ['an array without it', ['x-webkit-deflate-frame', 'x-other'], undefined],
    ['an empty array', [], undefined],
  ];

  it.each(cases)('%s', (_name, header, expected) => {
    expect(parseDeflateAgreement(header)).toEqual(expected);
  });
});

describe('MessageInflater: a real zlib sender with context takeover', () => {
  // zlib has no 256-byte raw deflate window: it makes windowBits 8 a 9 (zlib's deflateInit2).
  it.each([8, 9, 10, 11, 12, 13, 14, 15])('window bits %i: every message exactly, in order', async (windowBits) => {
    const messages = chatMessages(60);
    const deflate = sender(windowBits);
    const inflater = new MessageInflater(takeover(windowBits));
    let standaloneFailures = 0;
    for (const [i, message] of messages.entries()) {
      const compressed = await deflate.compress(message);
      expect(okData(inflater.inflate(compressed, MiB)).toString()).toBe(message.toString());
      if (i > 0 && !inflatesAlone(compressed, message)) standaloneFailures++;
    }
    // The later messages were compressed against the earlier ones: alone, they do not inflate.
    expect(standaloneFailures).toBeGreaterThan(messages.length / 2);
  });

  it('a repeated message is a back-reference: tiny, and unreadable without the history', async () => {
    const message = Buffer.from('{"type":"presence","user":"alice","status":"online","since":1700000000}');
    const deflate = sender();
    const first = await deflate.compress(message);
    const second = await deflate.compress(message);
    expect(second.length).toBeLessThan(10);
    const inflater = new MessageInflater(takeover());
    expect(okData(inflater.inflate(first, MiB)).equals(message)).toBe(true);
    expect(okData(inflater.inflate(second, MiB)).equals(message)).toBe(true);
    // Alone: a distance before the start of the output.
    expect(new MessageInflater(takeover()).inflate(second, MiB)).toMatchObject({ kind: 'corrupt' });
    // An inflater told there is no context takeover does not keep one either.
    const forgetful = new MessageInflater(noTakeover());
    okData(forgetful.inflate(first, MiB));
    expect(forgetful.inflate(second, MiB)).toMatchObject({ kind: 'corrupt' });
  });

  it('keeps a 32 KiB window across messages: references that reach back over several messages', async () => {
    const deflate = sender(15);
    const inflater = new MessageInflater(takeover());
    const a = randomBytes(20_000);
    const b = randomBytes(9_000);
    const c = randomBytes(100);
    // d copies from a (about 30 KB back, behind b and c) and from b: the window must span messages.
    const d = Buffer.concat([a.subarray(2_000, 3_000), b.subarray(0, 1_000), c]);
    // e is large: afterwards only the last 32 KiB of it remain in the window.
    const e = randomBytes(50_000);
    const f = Buffer.concat([e.subarray(-20_000, -19_000), e.subarray(-500)]);
    for (const message of [a, b, c, d, e, f]) {
      const compressed = await deflate.compress(message);
      expect(okData(inflater.inflate(compressed, MiB)).equals(message)).toBe(true);
      if (message === d || message === f) {
        // Compressed by reference, not as literals.
        expect(compressed.length).toBeLessThan(message.length / 4);
        expect(inflatesAlone(compressed, message)).toBe(false);
      }
    }
  });

  it('an empty message (a single 0x00 byte) inflates to nothing and keeps the context', async () => {
    const deflate = sender();
    const inflater = new MessageInflater(takeover());
    const hello = Buffer.from('hello, hello, hello');
    okData(inflater.inflate(await deflate.compress(hello), MiB));
    const empty = await deflate.compress(Buffer.alloc(0));
    expect(empty).toEqual(Buffer.from([0x00]));
    expect(okData(inflater.inflate(empty, MiB)).length).toBe(0);
    expect(okData(inflater.inflate(await deflate.compress(hello), MiB)).equals(hello)).toBe(true);
  });
});

describe('MessageInflater: no context takeover', () => {
  it.each([9, 12, 15])('window bits %i: a fresh deflater per message, each inflates alone', (windowBits) => {
    const inflater = new MessageInflater(noTakeover(windowBits));
    const messages = [...chatMessages(30), randomBytes(5_000), Buffer.alloc(0), Buffer.alloc(70_000, 'ab')];
    for (const message of messages) {
      const compressed = compressAlone(message, windowBits);
      expect(inflatesAlone(compressed, message)).toBe(true);
      expect(okData(inflater.inflate(compressed, MiB)).equals(message)).toBe(true);
    }
  });
});

// ws's own permessage-deflate (ws 8), not declared by @types/ws.
interface WsPerMessageDeflate {
  offer(): Record<string, unknown>;
  accept(configurations: unknown[]): Record<string, unknown>;
  compress(data: Buffer, fin: boolean, callback: (err: Error | null, result?: Buffer) => void): void;
  decompress(data: Buffer, fin: boolean, callback: (err: Error | null, result?: Buffer) => void): void;
  cleanup(): void;
}
const { PerMessageDeflate, extension } = ws as unknown as {
  PerMessageDeflate: new (options: Record<string, unknown>) => WsPerMessageDeflate;
  extension: {
    format(extensions: Record<string, unknown>): string;
    parse(header: string): Record<string, unknown[]>;
  };
};

function call(method: WsPerMessageDeflate['compress'], self: WsPerMessageDeflate, data: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    method.call(self, data, true, (err, result) => (err ? reject(err) : resolve(result!))),
  );
}

/** A ws client and server negotiating as they do in a handshake; the 101's header is what Mooring reads. */
function negotiate(
  clientOptions: Record<string, unknown>,
  serverOptions: Record<string, unknown>,
): {
  client: WsPerMessageDeflate;
  server: WsPerMessageDeflate;
  response: string;
} {
  const client = new PerMessageDeflate({ ...clientOptions, threshold: 0 });
  const server = new PerMessageDeflate({ ...serverOptions, isServer: true, threshold: 0 });
  const request = extension.format({ 'permessage-deflate': client.offer() });
  const accepted = server.accept(extension.parse(request)['permessage-deflate']!);
  const response = extension.format({ 'permessage-deflate': accepted });
  client.accept(extension.parse(response)['permessage-deflate']!);
  return { client, server, response };
}

describe("MessageInflater: ws's own PerMessageDeflate", () => {
  const wsCases: Array<[string, Record<string, unknown>, Record<string, unknown>, string]> = [
    ['context takeover both ways', {}, {}, 'permessage-deflate'],
    ['server_no_context_takeover', {}, { serverNoContextTakeover: true }, 'server_no_context_takeover'],
    [
      'client_no_context_takeover, server window 10',
      { clientNoContextTakeover: true },
      { clientNoContextTakeover: true, serverMaxWindowBits: 10 },
      'server_max_window_bits=10',
    ],
    ['client window 9', { clientMaxWindowBits: 9 }, { clientMaxWindowBits: 9 }, 'client_max_window_bits=9'],
  ];

  it.each(wsCases)('%s', async (_name, clientOptions, serverOptions, inResponse) => {
    const { client, server, response } = negotiate(clientOptions, serverOptions);
    expect(response).toContain(inResponse);
    const agreement = parseDeflateAgreement(response)!;
    expect(agreement.server.noContextTakeover).toBe(serverOptions.serverNoContextTakeover === true);
    expect(agreement.client.noContextTakeover).toBe(clientOptions.clientNoContextTakeover === true);
    const fromServer = new MessageInflater(agreement.server);
    const fromClient = new MessageInflater(agreement.client);
    const messages = [...chatMessages(40), Buffer.alloc(0), randomBytes(3_000), Buffer.from('x'.repeat(100_000))];
    try {
      for (const message of messages) {
        const byServer = await call(server.compress, server, message);
        const byClient = await call(client.compress, client, message);
        expect(okData(fromServer.inflate(byServer, MiB)).equals(message)).toBe(true);
        expect(okData(fromClient.inflate(byClient, MiB)).equals(message)).toBe(true);
        // What ws's own receiving side makes of it: the same bytes.
        expect((await call(client.decompress, client, byServer)).equals(message)).toBe(true);
      }
    } finally {
      client.cleanup();
      server.cleanup();
    }
  });
});

/** `copies` MiB of zeros in about 1 KiB each: sync-flushed blocks of a deflate stream can be repeated. */
function zeroBomb(copies: number): Buffer {
  const oneMiB = stripTail(deflateRawSync(Buffer.alloc(MiB), { level: 9, finishFlush: constants.Z_SYNC_FLUSH }));
  const block = Buffer.concat([oneMiB, syncTail]);
  return Buffer.concat([...Array.from({ length: copies - 1 }, () => block), oneMiB]);
}

describe('MessageInflater: the output budget', () => {
  it('inflates up to the budget exactly; one byte less is too-big', () => {
    const bomb = zeroBomb(4);
    expect(bomb.length).toBeLessThan(5_000);
    const data = okData(new MessageInflater(takeover()).inflate(bomb, 4 * MiB));
    expect([data.length, data.every((byte) => byte === 0)]).toEqual([4 * MiB, true]);
    expect(new MessageInflater(takeover()).inflate(bomb, 4 * MiB - 1)).toEqual({ kind: 'too-big' });
  });

  it('a 64 KiB message that inflates to 64 MiB is too-big at 1 MiB, without producing the 64 MiB', () => {
    const bomb = zeroBomb(64);
    expect(bomb.length).toBeLessThan(70_000);
    const inflater = new MessageInflater(takeover());
    const before = process.memoryUsage();
    expect(inflater.inflate(bomb, MiB)).toEqual({ kind: 'too-big' });
    const after = process.memoryUsage();
    // Loosely: what was allocated is the budget and zlib's chunks, nowhere near 64 MiB.
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(16 * MiB);
    expect(after.rss - before.rss).toBeLessThan(40 * MiB);
    // The output was cut short, so the context is lost: nothing later can be read.
    expect(inflater.inflate(compressAlone(Buffer.from('next')), MiB)).toMatchObject({ kind: 'corrupt' });
  });
});

/** A message that copies 200 bytes from 5000 bytes back: more history than any inflater here has. */
function farReference(): Buffer {
  const history = Buffer.from(Array.from({ length: 5_000 }, (_, i) => (i * 7919) % 251));
  const options = { dictionary: history, finishFlush: constants.Z_SYNC_FLUSH };
  return stripTail(deflateRawSync(history.subarray(0, 200), options));
}

describe('MessageInflater: garbage', () => {
  const garbage: Array<[string, Buffer]> = [
    ['a reserved block type', Buffer.from([0x07, 0x01, 0x02])],
    ['stored block lengths that do not match', Buffer.from([0x00, 0x05, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5])],
    ['a distance further back than anything inflated', farReference()],
    ['invalid Huffman code lengths', Buffer.from([0x05, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])],
  ];

  it.each(garbage)('%s: corrupt, and every later message corrupt', async (_name, bytes) => {
    for (const direction of [takeover(), noTakeover()]) {
      const deflate = sender();
      const inflater = new MessageInflater(direction);
      okData(inflater.inflate(await deflate.compress(Buffer.from('fine so far')), MiB));
      expect(inflater.inflate(bytes, MiB)).toMatchObject({ kind: 'corrupt', reason: expect.any(String) });
      for (const next of ['later', 'and later']) {
        const compressed = direction.noContextTakeover
          ? compressAlone(Buffer.from(next))
          : await deflate.compress(Buffer.from(next));
        expect(inflater.inflate(compressed, MiB)).toMatchObject({ kind: 'corrupt' });
      }
    }
  });
});

/** A stored DEFLATE block header (RFC 1951 §3.2.4) that announces `length` bytes, then `content`. */
function storedBlock(final: boolean, length: number, content: string): Buffer {
  const header = Buffer.alloc(5);
  header[0] = final ? 1 : 0;
  header.writeUInt16LE(length, 1);
  header.writeUInt16LE(~length & 0xffff, 3);
  return Buffer.concat([header, Buffer.from(content, 'latin1')]);
}

/** DEFLATE's bit order (RFC 1951 §3.1.1): fields least significant bit first, Huffman codes most. */
class BitWriter {
  readonly bits: number[] = [];

  field(value: number, count: number): this {
    for (let bit = 0; bit < count; bit++) this.bits.push((value >> bit) & 1);
    return this;
  }

  code(value: number, length: number): this {
    for (let bit = length - 1; bit >= 0; bit--) this.bits.push((value >> bit) & 1);
    return this;
  }

  bytes(): Buffer {
    const bytes = Buffer.alloc(Math.ceil(this.bits.length / 8));
    this.bits.forEach((bit, i) => (bytes[i >> 3]! |= bit << (i & 7)));
    return bytes;
  }
}

/** A fixed-Huffman block (RFC 1951 §3.2.6) of Latin-1 literals without its end-of-block code. */
function fixedBlockWithoutEnd(text: string): Buffer {
  const writer = new BitWriter().field(0, 1).field(1, 2);
  for (const byte of Buffer.from(text, 'latin1')) {
    if (byte <= 143) writer.code(0x30 + byte, 8);
    else writer.code(0x190 + byte - 144, 9);
  }
  return writer.bytes();
}

/**
 * A dynamic-Huffman block header (RFC 1951 §3.2.7) that stops where the code lengths begin: its
 * code-length code reads any bit as a length (0 or 8), and 316 lengths are still to come.
 */
function dynamicHeaderWithoutLengths(): Buffer {
  const writer = new BitWriter().field(0, 1).field(2, 2).field(29, 5).field(29, 5).field(1, 4);
  // Code length code lengths in the order 16, 17, 18, 0, 8: one bit each for lengths 0 and 8.
  for (const length of [0, 0, 0, 1, 1]) writer.field(length, 3);
  return writer.bytes();
}

/**
 * A dynamic-Huffman block that leaves the receiver one bit short of its end code, without that bit
 * looking like anything is missing: the sync tail's 16 zeros and 16 ones decode as literals and a
 * 14-bit prefix of the 15-bit end code 1^15. A backend's inflater takes the next message's first
 * bit to end the block, then reads the rest as new blocks, one bit off from a fresh start. A probe
 * that starts with a 1 bit and zero padding would end the block and be read as a stored block too.
 */
function oneBitShortOfEnd(): Buffer {
  // Canonical codes (RFC 1951 §3.2.2) from these lengths: a=00; b=010, c=011, d=100, e=101,
  // f=110; g..q 4 to 14 bits (1110, 11110, …); r=1^14 0 and end-of-block=1^15. Complete.
  const lengths = new Map<number, number>([
    [0x61, 2],
    ...[0x62, 0x63, 0x64, 0x65, 0x66].map((symbol): [number, number] => [symbol, 3]),
    ...Array.from({ length: 11 }, (_, i): [number, number] => [0x67 + i, 4 + i]),
    [0x72, 15],
    [256, 15],
  ]);
  const writer = new BitWriter().field(0, 1).field(2, 2);
  // 257 literal/length codes, 1 distance code (unused), all 19 code length codes.
  writer.field(0, 5).field(0, 5).field(15, 4);
  // The code length code: lengths 0 to 15 in 4 bits each (code = the length), no repeat codes.
  for (const symbol of [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]) {
    writer.field(symbol <= 15 ? 4 : 0, 3);
  }
  for (let symbol = 0; symbol <= 256; symbol++) writer.code(lengths.get(symbol) ?? 0, 4);
  writer.code(0, 4); // the distance code's length: none
  writer.code(0b00, 2).code(0b011, 3); // "ac"
  // Then b (010) until one bit before a byte ends, and the first 0 of an "a" (00) in that bit.
  while ((writer.bits.length + 1) % 8 !== 0) writer.code(0b010, 3);
  writer.code(0, 1);
  return writer.bytes();
}

describe('MessageInflater: what the backend will read', () => {
  /** What ws, as the receiving backend, makes of the same messages, in order; `error` once it fails. */
  async function wsReads(messages: Buffer[], noContextTakeover: boolean): Promise<Array<Buffer | 'error'>> {
    const { server } = negotiate(noContextTakeover ? { clientNoContextTakeover: true } : {}, {});
    const read: Array<Buffer | 'error'> = [];
    try {
      for (const message of messages) {
        read.push(await call(server.decompress, server, message).catch(() => 'error' as const));
        if (read.at(-1) === 'error') break;
      }
    } finally {
      server.cleanup();
    }
    return read;
  }

  const hostile: Array<[string, () => Promise<Buffer[]>]> = [
    [
      // The stored block announces 40 bytes and carries 5: ws takes the next message's first bytes
      // as the rest of it, and its final block's trailing bytes ("DROP TABLE") as message text.
      'a stored block cut short, then a final block with text after it',
      async () => [
        await new ContextTakeoverSender().compress(Buffer.from('hello')),
        storedBlock(false, 40, 'hello'),
        Buffer.concat([storedBlock(true, 2, 'ok'), Buffer.from('DROP TABLE users;')]),
        compressAlone(Buffer.from('third')),
      ],
    ],
    [
      // Nothing at all: with the sync tail put back, the receiver is left inside a stored block header.
      'an empty payload, then a message',
      async () => [Buffer.alloc(0), Buffer.concat([storedBlock(true, 2, 'ok'), Buffer.from('DROP TABLE users;')])],
    ],
    [
      'a Huffman block without its end code',
      async () => [
        fixedBlockWithoutEnd('hi there'),
        Buffer.concat([storedBlock(true, 2, 'ok'), Buffer.from('DROP TABLE users;')]),
      ],
    ],
    [
      'a dynamic block header cut off before its code lengths',
      async () => [dynamicHeaderWithoutLengths(), compressAlone(Buffer.from('DROP TABLE users;'))],
    ],
    [
      // ws ends the block with the next message's first bit (1), then reads a non-final stored
      // block "ok" and a final one with the text; a fresh start reads a final stored block "ok".
      'a Huffman block one bit short of its end code',
      async () => [
        oneBitShortOfEnd(),
        Buffer.concat([
          Buffer.from([0x01, 0x02, 0x00, 0xfd, 0xff]),
          Buffer.from('ok'),
          storedBlock(true, 17, 'DROP TABLE users;'),
        ]),
      ],
    ],
    [
      // 5 bytes carried, 4 of sync tail, 21 of the next message: all swallowed as content, so that
      // an end-of-message probe of that length would be read as content too.
      'a stored block whose missing bytes are just the sync tail and a probe',
      async () => [storedBlock(false, 30, 'hello'), compressAlone(Buffer.from('DROP TABLE users;'))],
    ],
    [
      'a final stored block whose missing bytes are just the sync tail and a probe',
      async () => [storedBlock(true, 30, 'hello'), compressAlone(Buffer.from('DROP TABLE users;'))],
    ],
    [
      'a stored block cut short by one byte',
      async () => [storedBlock(false, 6, 'hello'), compressAlone(Buffer.from('DROP TABLE users;'))],
    ],
  ];

  it.each(hostile)('%s: every message Mooring reads is what the backend reads', async (_name, build) => {
    const messages = await build();
    const backend = await wsReads(messages, false);
    const inflater = new MessageInflater(takeover());
    // Each sequence desynchronises a reader that starts each message afresh. Mooring's stream is
    // the backend's: the same bytes for every message, and unreadable exactly where it fails.
    for (const [i, message] of messages.entries()) {
      const result = inflater.inflate(message, MiB);
      if (backend[i] === 'error') {
        expect(result.kind, `message ${i}`).toBe('corrupt');
        break;
      }
      expect(result.kind, `message ${i}`).toBe('ok');
      expect(okData(result).toString('latin1'), `message ${i}`).toBe((backend[i] as Buffer).toString('latin1'));
    }
  });

  it('the same messages without context takeover: the backend starts afresh each time, and so does Mooring', async () => {
    const messages = [
      storedBlock(false, 40, 'hello'),
      compressAlone(Buffer.from('DROP TABLE users;')),
      Buffer.alloc(0),
    ];
    const backend = await wsReads(messages, true);
    const inflater = new MessageInflater(noTakeover());
    const read = messages.map((message) => okData(inflater.inflate(message, MiB)).toString('latin1'));
    expect(read).toEqual(backend.map((data) => (data as Buffer).toString('latin1')));
  });

  it('a sender that ends the stream (BFINAL, RFC 7692 §7.2.3.3) is read as the backend reads it', async () => {
    const finished = deflateRawSync(Buffer.from('hello with BFINAL'));
    const messages = [finished, compressAlone(Buffer.from('a fresh stream'))];
    const backend = await wsReads(messages, false);
    const inflater = new MessageInflater(takeover());
    const read = messages.map((message) => okData(inflater.inflate(message, MiB)).toString());
    expect(read).toEqual(backend.map((data) => (data as Buffer).toString()));
  });
});

describe('MessageInflater: property', () => {
  const messageArb = fc.oneof(
    fc.string({ unit: 'grapheme', maxLength: 300 }).map((text) => Buffer.from(text)),
    fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
    // Repetitive: long runs and repeated words, which deflate turns into back-references.
    fc
      .tuple(fc.constantFrom('ping ', 'mooring ', '{"a":1}', '\u00e9\u00e8'), fc.integer({ min: 1, max: 3_000 }))
      .map(([word, times]) => Buffer.from(word.repeat(times))),
    fc.constant(Buffer.alloc(0)),
  );

  it('any sequence of messages, compressed with context takeover, inflates to each message exactly', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(messageArb, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 9, max: 15 }),
        fc.boolean(),
        async (drawn, windowBits, repeatEarlier) => {
          // Now and then the later messages repeat the earlier ones, the best case for back-references.
          const messages = repeatEarlier ? [...drawn, ...drawn.slice().reverse()] : drawn;
          const deflate = new ContextTakeoverSender(windowBits);
          try {
            const inflater = new MessageInflater(takeover(windowBits));
            for (const message of messages) {
              const data = okData(inflater.inflate(await deflate.compress(message), 16 * MiB));
              expect(data.toString('hex')).toBe(message.toString('hex'));
            }
          } finally {
            deflate.close();
          }
        },
      ),
      propertySettings(60),
    );
  });
});
