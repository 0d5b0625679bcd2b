import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { WebSocketServer } from 'ws';
import { FrameBoundaryTracker } from '../../src/protocol/frame-tracker.js';

interface FrameOptions {
  opcode: number;
  fin?: boolean;
  mask?: boolean;
  rsv1?: boolean;
}

// ws 8 exports its Sender (not declared by @types/ws); its static `frame` builds real frames.
const { Sender } = ws as unknown as {
  Sender: { frame(data: Buffer, options: FrameOptions & { readOnly: boolean }): Buffer[] };
};

function frame(payloadLength: number, options: FrameOptions): Buffer {
  const payload = Buffer.alloc(payloadLength, 0x5a);
  return Buffer.concat(Sender.frame(payload, { fin: true, readOnly: false, ...options }));
}

function headerLength(payloadLength: number, mask: boolean): number {
  return 2 + (payloadLength > 65535 ? 8 : payloadLength > 125 ? 2 : 0) + (mask ? 4 : 0);
}

/** Feeds `stream` cut at `cuts` and returns every offset at which the tracker was at a boundary. */
function boundariesSeen(stream: Buffer, cuts: number[]): number[] {
  const tracker = new FrameBoundaryTracker();
  const seen: number[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    tracker.observe(stream.subarray(from, to));
    if (tracker.atBoundary) seen.push(to);
    from = to;
  }
  return seen;
}

/** Offsets where each frame of `frames` ends when they are concatenated. */
function frameEnds(frames: Buffer[]): number[] {
  let end = 0;
  return frames.map((f) => (end += f.length));
}

function range(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Deterministic pseudo-random cut points (mulberry32). */
function randomCuts(length: number, count: number, seed: number): number[] {
  let state = seed;
  const next = (): number => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const cuts = new Set<number>();
  while (cuts.size < Math.min(count, length - 1)) cuts.add(1 + Math.floor(next() * (length - 1)));
  return [...cuts].sort((a, b) => a - b);
}

describe('FrameBoundaryTracker: one frame of each length class', () => {
  const lengths = [0, 1, 125, 126, 127, 65535, 65536, 1 << 20];
  const cases = lengths.flatMap((length) =>
    [false, true].flatMap((mask) => [false, true].map((rsv1) => ({ length, mask, rsv1 }))),
  );

  it.each(cases)('length $length, masked $mask, rsv1 $rsv1', ({ length, mask, rsv1 }) => {
    const bytes = frame(length, { opcode: 0x2, mask, rsv1 });
    const header = headerLength(length, mask);
    expect(bytes.length).toBe(header + length);

    // Whole.
    const whole = new FrameBoundaryTracker();
    whole.observe(bytes);
    expect([whole.atBoundary, whole.frames, whole.bytes, whole.bytesToBoundary(), whole.broken]).toEqual([
      true,
      1,
      bytes.length,
      0,
      false,
    ]);

    // Split at every position of the header (and the first payload byte).
    for (const cut of range(1, Math.min(header + 2, bytes.length))) {
      const tracker = new FrameBoundaryTracker();
      tracker.observe(bytes.subarray(0, cut));
      expect(tracker.atBoundary).toBe(false);
      expect(tracker.bytesToBoundary()).toBe(cut < header ? undefined : bytes.length - cut);
      tracker.observe(bytes.subarray(cut));
      expect([tracker.atBoundary, tracker.frames]).toEqual([true, 1]);
    }

    // Byte by byte (the 1 MiB frame too): a boundary only at the very end.
    expect(boundariesSeen(bytes, range(1, bytes.length))).toEqual([bytes.length]);
  });
});

describe('FrameBoundaryTracker: streams of frames', () => {
  // A fragmented text message with a ping and a pong interleaved, then a close (RFC 6455 §5.4).
  const fragmented = (mask: boolean): Buffer[] => [
    frame(3, { opcode: 0x1, fin: false, mask }),
    frame(4, { opcode: 0x9, mask }),
    frame(300, { opcode: 0x0, fin: false, mask, rsv1: false }),
    frame(0, { opcode: 0xa, mask }),
    frame(70_000, { opcode: 0x0, fin: false, mask }),
    frame(0, { opcode: 0x0, fin: true, mask }),
    frame(125, { opcode: 0x9, mask }),
    frame(2, { opcode: 0x8, mask }),
  ];
  const compressed = (mask: boolean): Buffer[] => [
    frame(10, { opcode: 0x1, mask, rsv1: true }),
    frame(200, { opcode: 0x2, fin: false, mask, rsv1: true }),
    frame(5, { opcode: 0x0, mask }),
  ];
  const manySmall = (mask: boolean): Buffer[] => range(0, 500).map((i) => frame(i % 130, { opcode: 0x2, mask }));

  it.each([
    ['fragmented with interleaved control frames', fragmented],
    ['permessage-deflate (RSV1) frames', compressed],
    ['500 small frames', manySmall],
  ] as const)('%s: boundaries exactly at frame ends however the stream is cut', (_name, build) => {
    for (const mask of [false, true]) {
      const frames = build(mask);
      const stream = Buffer.concat(frames);
      const ends = frameEnds(frames);

      const whole = new FrameBoundaryTracker();
      whole.observe(stream);
      expect([whole.frames, whole.bytes, whole.atBoundary]).toEqual([frames.length, stream.length, true]);

      const byteByByte = boundariesSeen(stream, range(1, stream.length));
      expect(byteByByte).toEqual(ends);
      for (const seed of [1, 2, 3]) {
        const cuts = randomCuts(stream.length, 40, seed);
        const expected = [...cuts, stream.length].filter((cut) => ends.includes(cut));
        expect(boundariesSeen(stream, cuts)).toEqual(expected);
      }
    }
  });

  it('consumeToBoundary stops exactly at each frame end, across chunks', () => {
    const frames = fragmented(true);
    const stream = Buffer.concat(frames);
    const tracker = new FrameBoundaryTracker();
    tracker.claim();
    tracker.observe(stream); // ignored once claimed
    expect(tracker.bytes).toBe(0);
    const stops: number[] = [];
    let base = 0;
    for (const chunk of [stream.subarray(0, 7), stream.subarray(7, 400), stream.subarray(400)]) {
      let offset = 0;
      while (offset < chunk.length) {
        offset = tracker.consumeToBoundary(chunk, offset);
        if (tracker.atBoundary) stops.push(base + offset);
      }
      base += chunk.length;
    }
    expect(stops).toEqual(frameEnds(frames));
    expect([tracker.frames, tracker.bytes, tracker.closeSeen]).toEqual([frames.length, stream.length, true]);
  });

  it('reports a close frame only once it is complete', () => {
    const close = frame(2, { opcode: 0x8 });
    const tracker = new FrameBoundaryTracker();
    tracker.observe(close.subarray(0, 3));
    expect(tracker.closeSeen).toBe(false);
    tracker.observe(close.subarray(3));
    expect(tracker.closeSeen).toBe(true);
  });

  it('counts messages: a fragmented one once, at its last fragment; control frames never', () => {
    const stream = Buffer.concat([
      frame(3, { opcode: 0x1 }),
      frame(4, { opcode: 0x2, fin: false }),
      frame(0, { opcode: 0x9 }),
      frame(4, { opcode: 0x0, fin: false }),
      frame(4, { opcode: 0x0 }),
      frame(0, { opcode: 0xa }),
      frame(2, { opcode: 0x8 }),
    ]);
    const tracker = new FrameBoundaryTracker();
    tracker.observe(stream.subarray(0, 10));
    expect(tracker.messages).toBe(1);
    tracker.observe(stream.subarray(10));
    expect([tracker.frames, tracker.messages]).toEqual([7, 2]);
  });

  it('counts a 2^53 - 1 byte payload, the largest a number holds', () => {
    const tracker = new FrameBoundaryTracker();
    tracker.observe(Buffer.from([0x82, 0x7f, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 1, 2, 3]));
    expect([tracker.broken, tracker.bytesToBoundary()]).toEqual([false, Number.MAX_SAFE_INTEGER - 3]);
  });
});

describe('FrameBoundaryTracker: broken streams', () => {
  const cases: Array<[string, number[], string]> = [
    ['reserved data opcode 0x3', [0x83, 0x00], 'reserved-opcode'],
    ['reserved data opcode 0x7', [0x87, 0x00], 'reserved-opcode'],
    ['reserved control opcode 0xB', [0x8b, 0x00], 'reserved-opcode'],
    ['reserved control opcode 0xF', [0x8f, 0x80, 1, 2, 3, 4], 'reserved-opcode'],
    ['a fragmented ping', [0x09, 0x00], 'fragmented-control-frame'],
    ['a close frame with a 16-bit length', [0x88, 0x7e, 0x00, 0x7e], 'control-frame-too-long'],
    ['a 64-bit length with its MSB set', [0x82, 0x7f, 0x80, 0, 0, 0, 0, 0, 0, 1], 'length-msb-set'],
    ['a 2^53 byte length', [0x82, 0x7f, 0x00, 0x20, 0, 0, 0, 0, 0, 0], 'length-too-large'],
  ];

  it.each(cases)('%s', (_name, header, violation) => {
    const before = frame(10, { opcode: 0x1 });
    const bytes = Buffer.concat([before, Buffer.from(header), frame(2, { opcode: 0x2 })]);
    for (const cuts of [[], range(1, bytes.length)]) {
      const tracker = new FrameBoundaryTracker();
      let from = 0;
      for (const to of [...cuts, bytes.length]) {
        tracker.observe(bytes.subarray(from, to));
        from = to;
      }
      expect(tracker.broken).toBe(true);
      expect(tracker.violation).toBe(violation);
      expect([tracker.atBoundary, tracker.bytesToBoundary(), tracker.frames, tracker.bytes]).toEqual([
        false,
        undefined,
        1,
        bytes.length,
      ]);
      // Once broken, nothing is parsed and consumeToBoundary takes whole chunks.
      expect(tracker.consumeToBoundary(frame(0, { opcode: 0x2 }))).toBe(2);
      expect(tracker.frames).toBe(1);
    }
  });
});

describe('FrameBoundaryTracker against a real ws server', () => {
  const cleanups: Array<() => void | Promise<void>> = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  /** Handshakes as a raw TCP client and returns every byte the server sent after the 101, up to its close frame. */
  async function captureServerStream(port: number, tracker: FrameBoundaryTracker): Promise<Buffer> {
    const socket = net.connect(port, '127.0.0.1');
    cleanups.push(() => void socket.destroy());
    await once(socket, 'connect', { signal: AbortSignal.timeout(2000) });
    const key = randomBytes(16).toString('base64');
    socket.write(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Extensions: permessage-deflate\r\n\r\n`,
    );
    const chunks: Buffer[] = [];
    let head: Buffer | undefined = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf('\r\n\r\n');
        if (end < 0) return;
        const response = head.subarray(0, end).toString('latin1');
        expect(response).toMatch(/^HTTP\/1\.1 101 /);
        expect(response).toMatch(/sec-websocket-extensions: permessage-deflate/i);
        const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
        expect(response).toContain(accept);
        chunk = head.subarray(end + 4);
        head = undefined;
      }
      chunks.push(chunk);
      tracker.observe(chunk);
    });
    await expect.poll(() => tracker.closeSeen, { timeout: 5000 }).toBe(true);
    return Buffer.concat(chunks);
  }

  it('counts exactly the frames ws sent, compressed and fragmented ones included', async () => {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: { threshold: 0 } });
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const peer of server.clients) peer.terminate();
          server.close(() => resolve());
        }),
    );
    await once(server, 'listening');
    const text = 'mooring '.repeat(20_000);
    const blob = randomBytes(200_000);
    let framesSent = 0;
    server.on('connection', (peer) => {
      const send = (
        data: string | Buffer,
        options: { fin?: boolean; binary?: boolean; compress?: boolean } = {},
      ): void => {
        peer.send(data, options);
        framesSent++;
      };
      send('hello');
      send(text); // compressible: a short RSV1 frame
      send(blob, { binary: true, compress: false });
      send(blob.subarray(0, 70_000), { binary: true, fin: false });
      peer.ping(Buffer.from('ping'));
      framesSent++;
      send(blob.subarray(70_000, 70_100), { binary: true, fin: false });
      send(blob.subarray(70_100), { binary: true, fin: true });
      send(Buffer.alloc(0), { binary: true });
      peer.close(1000, 'done');
      framesSent++;
    });
    const tracker = new FrameBoundaryTracker();
    const port = (server.address() as AddressInfo).port;
    const stream = await captureServerStream(port, tracker);
    expect(framesSent).toBe(9);
    expect(tracker.frames).toBe(framesSent);
    expect([tracker.atBoundary, tracker.closeSeen, tracker.broken, tracker.bytes]).toEqual([
      true,
      true,
      false,
      stream.length,
    ]);
    // Compression happened: the text went over in far fewer bytes than it has.
    expect(stream.length).toBeLessThan(text.length + 2 * blob.length);

    // The captured stream gives the same frames however it is cut.
    const ends = (cuts: number[]): number => {
      const again = new FrameBoundaryTracker();
      let from = 0;
      for (const to of [...cuts, stream.length]) {
        again.observe(stream.subarray(from, to));
        from = to;
      }
      return again.atBoundary ? again.frames : -1;
    };
    expect(ends(randomCuts(stream.length, 500, 7))).toBe(framesSent);
    expect(ends(range(1, Math.min(stream.length, 5000)))).toBe(framesSent);
  });
});
