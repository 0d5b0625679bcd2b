import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { buildFrame, isControl, opcodes, readFrameHeader, type FrameHeader } from '../../src/protocol/frame-header.js';
import { applyMask } from '../../src/protocol/masking.js';
import { propertySettings } from '../property/fast-check-settings.js';

interface FrameOptions {
  opcode: number;
  fin?: boolean;
  mask?: boolean;
  rsv1?: boolean;
}

// ws 8 exports its Sender (not declared by @types/ws); its static `frame` builds real frames, an
// encoder independent of the one under test.
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions & { readOnly: boolean }): Buffer[] };
};

function wsFrame(payload: Buffer, options: FrameOptions): Buffer {
  return Buffer.concat(Sender.frame(payload, { fin: true, readOnly: false, ...options }));
}

function headerOf(bytes: Uint8Array, at = 0): FrameHeader {
  const read = readFrameHeader(bytes, at);
  if (read.kind !== 'header') throw new Error(`expected a header, got ${JSON.stringify(read)}`);
  return read.header;
}

/** The header's fields as plain data, for `toEqual`. */
function fields(header: FrameHeader): Record<string, unknown> {
  return { ...header, maskKey: header.maskKey?.toString('hex') };
}

const controlOpcodes = [opcodes.close, opcodes.ping, opcodes.pong];
const dataOpcodes = [opcodes.continuation, opcodes.text, opcodes.binary];
const reservedOpcodes = [0x3, 0x4, 0x5, 0x6, 0x7, 0xb, 0xc, 0xd, 0xe, 0xf];

describe('opcodes and isControl (RFC 6455 §5.2, §5.5)', () => {
  it('names the six defined opcodes; control frames are 0x8 and above', () => {
    expect(opcodes).toEqual({ continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa });
    expect(dataOpcodes.map(isControl)).toEqual([false, false, false]);
    expect(controlOpcodes.map(isControl)).toEqual([true, true, true]);
  });
});

describe('buildFrame → readFrameHeader', () => {
  const opcodeArb = fc.constantFrom(...dataOpcodes, ...controlOpcodes);
  const payloadArb = fc.uint8Array({ maxLength: 125 });
  const keyArb = fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined });

  it('reads back what was built, masked or not, and the payload unmasks to the original', () => {
    fc.assert(
      fc.property(opcodeArb, payloadArb, keyArb, (opcode, payload, key) => {
        const frame = buildFrame(opcode, payload, key);
        const header = headerOf(frame);
        const headerLength = key ? 6 : 2;
        expect(fields(header)).toEqual({
          fin: true,
          rsv1: false,
          opcode,
          maskKey: key ? Buffer.from(key).toString('hex') : undefined,
          payloadLength: payload.length,
          headerLength,
        });
        expect(frame.length).toBe(headerLength + payload.length);
        const onWire = frame.subarray(headerLength);
        const plain = key ? applyMask(onWire, key) : onWire;
        expect(plain.toString('hex')).toBe(Buffer.from(payload).toString('hex'));
        // Masked with a key that is not all zeros, the bytes on the wire are not the payload.
        if (key && key.some((byte) => byte !== 0) && payload.length >= 4) {
          expect(onWire.toString('hex')).not.toBe(Buffer.from(payload).toString('hex'));
        }
      }),
      propertySettings(300),
    );
  });

  it('builds control frames only: more than 125 bytes is a RangeError', () => {
    expect(buildFrame(opcodes.ping, Buffer.alloc(125)).length).toBe(127);
    expect(() => buildFrame(opcodes.ping, Buffer.alloc(126))).toThrow(RangeError);
  });

  it('the header is incomplete at every strict prefix, whole at its full length', () => {
    for (const key of [undefined, Buffer.from([1, 2, 3, 4])]) {
      const frame = buildFrame(opcodes.pong, Buffer.from('pong'), key);
      const headerLength = headerOf(frame).headerLength;
      for (let cut = 0; cut < headerLength; cut++) {
        expect(readFrameHeader(frame.subarray(0, cut))).toEqual({ kind: 'incomplete' });
      }
      // The header needs no payload byte to be read.
      expect(headerOf(frame.subarray(0, headerLength)).payloadLength).toBe(4);
    }
  });
});

describe('readFrameHeader: frames built by ws, every length class', () => {
  const lengths = [0, 1, 125, 126, 127, 65_535, 65_536, 1 << 20];
  const cases = lengths.flatMap((length) =>
    [false, true].flatMap((mask) => [false, true].map((rsv1) => ({ length, mask, rsv1 }))),
  );

  it.each(cases)('length $length, masked $mask, rsv1 $rsv1 (a first fragment when rsv1)', ({ length, mask, rsv1 }) => {
    const payload = Buffer.alloc(length, 0x5a);
    const frame = wsFrame(payload, { opcode: opcodes.binary, fin: !rsv1, mask, rsv1 });
    const extended = length > 65_535 ? 8 : length > 125 ? 2 : 0;
    const headerLength = 2 + extended + (mask ? 4 : 0);
    const header = headerOf(frame);
    expect(fields(header)).toEqual({
      fin: !rsv1,
      rsv1,
      opcode: opcodes.binary,
      maskKey: mask ? frame.subarray(headerLength - 4, headerLength).toString('hex') : undefined,
      payloadLength: length,
      headerLength,
    });
    expect(frame.length).toBe(headerLength + length);
    if (header.maskKey) {
      const plain = applyMask(frame.subarray(headerLength, headerLength + 200), header.maskKey);
      expect(plain.equals(Buffer.alloc(Math.min(length, 200), 0x5a))).toBe(true);
    }
    for (let cut = 0; cut < headerLength; cut++) {
      expect(readFrameHeader(frame.subarray(0, cut)).kind).toBe('incomplete');
    }
  });
});

describe('readFrameHeader: extended lengths written by hand', () => {
  const cases: Array<[string, number[], number]> = [
    ['16-bit 126', [0x82, 0x7e, 0x00, 0x7e], 126],
    ['16-bit 0x1234', [0x82, 0x7e, 0x12, 0x34], 0x1234],
    ['16-bit 65535', [0x82, 0x7e, 0xff, 0xff], 65_535],
    ['64-bit 65536', [0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0], 65_536],
    ['64-bit 2^32 + 5 (both halves count)', [0x82, 0x7f, 0, 0, 0, 1, 0, 0, 0, 5], 2 ** 32 + 5],
    ['64-bit 0x0102030405', [0x82, 0x7f, 0, 0, 0, 1, 2, 3, 4, 5], 0x01_0203_0405],
    [
      '64-bit 2^53 - 1, the largest exact number',
      [0x82, 0x7f, 0, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
      2 ** 53 - 1,
    ],
  ];

  it.each(cases)('%s', (_name, bytes, length) => {
    const header = headerOf(Buffer.from(bytes));
    expect([header.payloadLength, header.headerLength, header.maskKey]).toEqual([length, bytes.length, undefined]);
    // Masked: the key follows the extended length.
    const masked = Buffer.from([...bytes, 9, 8, 7, 6]);
    masked[1]! |= 0x80;
    const maskedHeader = headerOf(masked);
    expect([maskedHeader.payloadLength, maskedHeader.headerLength, maskedHeader.maskKey?.toString('hex')]).toEqual([
      length,
      bytes.length + 4,
      '09080706',
    ]);
  });
});

describe('readFrameHeader: what RFC 6455 forbids', () => {
  const violation = (reason: RegExp) => ({ kind: 'violation', reason: expect.stringMatching(reason) });
  const cases: Array<[string, number[], RegExp]> = [
    ...reservedOpcodes.map((opcode): [string, number[], RegExp] => [
      `reserved opcode 0x${opcode.toString(16)}`,
      [0x80 | opcode, 0x00],
      /reserved opcode/,
    ]),
    ['reserved opcode 0x3, not final, masked', [0x03, 0x85, 1, 2, 3, 4], /reserved opcode/],
    ['a fragmented close', [0x08, 0x00], /control frames/],
    ['a fragmented ping', [0x09, 0x04], /control frames/],
    ['a fragmented pong', [0x0a, 0x80], /control frames/],
    ['a ping with a 16-bit length', [0x89, 0x7e, 0x00, 0x7e], /control frames/],
    ['a close with a 64-bit length', [0x88, 0x7f, 0, 0, 0, 0, 0, 0, 0, 2], /control frames/],
    ['a 64-bit length with its MSB set', [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1], /out of range/],
    ['a 64-bit length of 2^64 - 1', [0x82, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], /out of range/],
    ['a 64-bit length of 2^53', [0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0], /out of range/],
    ['a 64-bit length of 2^62', [0x82, 0x7f, 0x40, 0, 0, 0, 0, 0, 0, 0], /out of range/],
  ];

  it.each(cases)('%s', (_name, bytes, reason) => {
    expect(readFrameHeader(Buffer.from(bytes))).toEqual(violation(reason));
    // Found at an offset too, with a frame before it.
    const before = buildFrame(opcodes.ping, Buffer.from('x'));
    expect(readFrameHeader(Buffer.concat([before, Buffer.from(bytes)]), before.length)).toEqual(violation(reason));
  });

  it('says so from the first two bytes when they are enough, before the rest has come', () => {
    expect(readFrameHeader(Buffer.from([0x83, 0xff])).kind).toBe('violation');
    expect(readFrameHeader(Buffer.from([0x09, 0xfe])).kind).toBe('violation');
    expect(readFrameHeader(Buffer.from([0x89, 0xfe])).kind).toBe('violation');
    // A data frame's 64-bit length can only be judged once it is there.
    expect(readFrameHeader(Buffer.from([0x82, 0x7f, 0x80])).kind).toBe('incomplete');
  });

  it('takes a control frame of exactly 125 bytes, and a final close, ping and pong', () => {
    for (const opcode of controlOpcodes) {
      expect(headerOf(Buffer.from([0x80 | opcode, 125])).payloadLength).toBe(125);
      expect(headerOf(Buffer.from([0x80 | opcode, 0x80, 1, 2, 3, 4])).payloadLength).toBe(0);
    }
  });
});

describe('readFrameHeader: flags, offsets and views', () => {
  it('reads FIN and RSV1 apart from the opcode; RSV2 and RSV3 do not change the opcode', () => {
    const table: Array<[number, Partial<FrameHeader>]> = [
      [0xc1, { fin: true, rsv1: true, opcode: opcodes.text }],
      [0x41, { fin: false, rsv1: true, opcode: opcodes.text }],
      [0x02, { fin: false, rsv1: false, opcode: opcodes.binary }],
      [0x80, { fin: true, rsv1: false, opcode: opcodes.continuation }],
      [0xb1, { fin: true, rsv1: false, opcode: opcodes.text }],
      [0xf2, { fin: true, rsv1: true, opcode: opcodes.binary }],
    ];
    for (const [first, expected] of table) {
      expect(headerOf(Buffer.from([first, 3]))).toMatchObject(expected);
    }
  });

  it('walks a stream of frames by offset, each header where the previous frame ended', () => {
    const frames = [
      wsFrame(Buffer.alloc(3, 1), { opcode: opcodes.text, fin: false, mask: true }),
      buildFrame(opcodes.ping, Buffer.from('ping'), Buffer.from([5, 6, 7, 8])),
      wsFrame(Buffer.alloc(300, 2), { opcode: opcodes.continuation, fin: false, mask: true, rsv1: false }),
      wsFrame(Buffer.alloc(70_000, 3), { opcode: opcodes.continuation, mask: true }),
      buildFrame(opcodes.close, Buffer.from([0x03, 0xe8])),
    ];
    const stream = Buffer.concat(frames);
    const seen: Array<[number, number]> = [];
    let at = 0;
    while (at < stream.length) {
      const header = headerOf(stream, at);
      seen.push([header.opcode, header.payloadLength]);
      at += header.headerLength + header.payloadLength;
    }
    expect(at).toBe(stream.length);
    expect(seen).toEqual([
      [opcodes.text, 3],
      [opcodes.ping, 4],
      [opcodes.continuation, 300],
      [opcodes.continuation, 70_000],
      [opcodes.close, 2],
    ]);
    // Past the end, or with one byte left: incomplete.
    expect(readFrameHeader(stream, stream.length)).toEqual({ kind: 'incomplete' });
    expect(readFrameHeader(stream, stream.length - 1)).toEqual({ kind: 'incomplete' });
  });

  it('reads a 64-bit length and a mask key from a Uint8Array view that starts inside its buffer', () => {
    const header = [0x82, 0xff, 0, 0, 0, 1, 0, 0, 0, 7, 0xa1, 0xb2, 0xc3, 0xd4];
    const backing = new ArrayBuffer(64);
    // Garbage before the view and before the offset: only the header's own bytes may be read.
    new Uint8Array(backing).fill(0xff);
    const view = new Uint8Array(backing, 13, 40);
    view.set(header, 5);
    const read = headerOf(view, 5);
    expect([read.payloadLength, read.headerLength, read.maskKey?.toString('hex')]).toEqual([
      2 ** 32 + 7,
      14,
      'a1b2c3d4',
    ]);
  });

  it('copies the mask key: later changes to the buffer do not reach the header', () => {
    const frame = buildFrame(opcodes.ping, Buffer.from('hi'), Buffer.from([1, 2, 3, 4]));
    const header = headerOf(frame);
    frame.fill(0);
    expect(header.maskKey?.toString('hex')).toBe('01020304');
  });
});
