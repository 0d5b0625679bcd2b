import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameBoundaryTracker } from '../../src/protocol/frame-tracker.js';
import { propertySettings } from './fast-check-settings.js';

/** One frame as the generator describes it; `encodeFrame` writes it by hand after RFC 6455 §5.2. */
interface FrameSpec {
  readonly opcode: number;
  readonly fin: boolean;
  /** RSV1-3 as one 3-bit number: the tracker must ignore them (permessage-deflate sets RSV1). */
  readonly rsv: number;
  readonly mask: Uint8Array | undefined;
  readonly length: number;
  /** The payload byte; payloads are never parsed, so one repeated value keeps large frames cheap. */
  readonly fill: number;
}

/** Where a frame sits in the concatenated stream. */
interface PlacedFrame extends FrameSpec {
  readonly start: number;
  readonly headerLength: number;
  readonly end: number;
}

function encodeFrame(frame: FrameSpec): Buffer {
  // §5.2: the minimal length encoding, 7-bit up to 125, then 16-bit, then 64-bit.
  const extended = frame.length > 65_535 ? 8 : frame.length > 125 ? 2 : 0;
  const header = Buffer.alloc(2 + extended + (frame.mask ? 4 : 0));
  header[0] = (frame.fin ? 0x80 : 0) | (frame.rsv << 4) | frame.opcode;
  header[1] = (frame.mask ? 0x80 : 0) | (extended === 8 ? 127 : extended === 2 ? 126 : frame.length);
  if (extended === 2) header.writeUInt16BE(frame.length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(frame.length), 2);
  if (frame.mask) header.set(frame.mask, 2 + extended);
  return Buffer.concat([header, Buffer.alloc(frame.length, frame.fill)]);
}

function place(specs: readonly FrameSpec[]): { stream: Buffer; frames: PlacedFrame[] } {
  const encoded = specs.map(encodeFrame);
  let start = 0;
  const frames = specs.map((spec, index) => {
    const length = encoded[index]!.length;
    const placed = { ...spec, start, headerLength: length - spec.length, end: start + length };
    start = placed.end;
    return placed;
  });
  return { stream: Buffer.concat(encoded), frames };
}

const maskArb = fc.option(fc.uint8Array({ minLength: 4, maxLength: 4 }), { nil: undefined });
const fillArb = fc.integer({ min: 0, max: 255 });

// Mostly short frames; some whose length forces the 16-bit encoding; the 65536+ byte frames that
// need the 64-bit one are rare so that a stream stays around a few hundred KiB at most.
const dataLengthArb = fc.oneof(
  { weight: 12, arbitrary: fc.integer({ min: 0, max: 125 }) },
  { weight: 4, arbitrary: fc.integer({ min: 126, max: 2_000 }) },
  { weight: 2, arbitrary: fc.constantFrom(125, 126, 127, 65_535, 65_536) },
  { weight: 1, arbitrary: fc.integer({ min: 65_537, max: 70_000 }) },
);

const dataFrameArb: fc.Arbitrary<FrameSpec> = fc.record({
  opcode: fc.constantFrom(0x0, 0x1, 0x2),
  fin: fc.boolean(),
  rsv: fc.integer({ min: 0, max: 7 }),
  mask: maskArb,
  length: dataLengthArb,
  fill: fillArb,
});

// §5.5: control frames are never fragmented and carry at most 125 bytes.
const controlFrameArb: fc.Arbitrary<FrameSpec> = fc.record({
  opcode: fc.constantFrom(0x8, 0x9, 0xa),
  fin: fc.constant(true),
  rsv: fc.constant(0),
  mask: maskArb,
  length: fc.integer({ min: 0, max: 125 }),
  fill: fillArb,
});

const framesArb = fc.array(fc.oneof({ weight: 3, arbitrary: dataFrameArb }, controlFrameArb), { maxLength: 16 });

/**
 * Where to cut a stream: anywhere, or a few bytes around a frame start, because uniform cuts
 * through a 64 KiB payload would almost never split a header.
 */
type CutSpec = { readonly anywhere: number } | { readonly nearFrame: number; readonly delta: number };
const cutsArb: fc.Arbitrary<CutSpec[]> = fc.array(
  fc.oneof(
    fc.record({ anywhere: fc.nat() }),
    fc.record({ nearFrame: fc.nat(), delta: fc.integer({ min: -2, max: 15 }) }),
  ),
  { maxLength: 24 },
);

/** Sorted cut offsets in [0, stream length]; repeats are kept, so empty chunks are fed too. */
function resolveCuts(cuts: readonly CutSpec[], total: number, starts: readonly number[]): number[] {
  const offsets = cuts.map((cut) => {
    if ('anywhere' in cut) return cut.anywhere % (total + 1);
    const start = starts.length === 0 ? 0 : starts[cut.nearFrame % starts.length]!;
    return Math.min(total, Math.max(0, start + cut.delta));
  });
  return offsets.sort((a, b) => a - b);
}

function chunksOf(stream: Buffer, cuts: readonly number[]): Buffer[] {
  const chunks: Buffer[] = [];
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    chunks.push(stream.subarray(from, to));
    from = to;
  }
  return chunks;
}

/** The stream of `specs`, its frames, and the stream cut into chunks where `cuts` say. */
function placeAndCut(specs: readonly FrameSpec[], cuts: readonly CutSpec[]) {
  const { stream, frames } = place(specs);
  const starts = frames.map((frame) => frame.start);
  return { stream, frames, chunks: chunksOf(stream, resolveCuts(cuts, stream.length, starts)) };
}

/** What a correct tracker reports after exactly `offset` bytes of a stream of well-formed `frames`. */
function expectedAt(frames: readonly PlacedFrame[], offset: number) {
  const inside = frames.find((frame) => frame.start < offset && offset < frame.end);
  const done = frames.filter((frame) => frame.end <= offset);
  // Undefined while the header is incomplete: its length is not known yet.
  const headerIncomplete = inside !== undefined && offset - inside.start < inside.headerLength;
  return {
    bytes: offset,
    frames: done.length,
    atBoundary: inside === undefined,
    closeSeen: done.some((frame) => frame.opcode === 0x8),
    bytesToBoundary: inside === undefined ? 0 : headerIncomplete ? undefined : inside.end - offset,
    broken: false,
  };
}

const validStreamArb = fc.record({ specs: framesArb, cuts: cutsArb });

describe('FrameBoundaryTracker properties: well-formed streams', () => {
  it('observe() reports the exact frame count, byte count, boundaries and close, after every chunk', () => {
    fc.assert(
      fc.property(validStreamArb, ({ specs, cuts }) => {
        const { stream, frames } = place(specs);
        const tracker = new FrameBoundaryTracker();
        let offset = 0;
        for (const chunk of chunksOf(
          stream,
          resolveCuts(
            cuts,
            stream.length,
            frames.map((f) => f.start),
          ),
        )) {
          tracker.observe(chunk);
          offset += chunk.length;
          const actual = {
            bytes: tracker.bytes,
            frames: tracker.frames,
            atBoundary: tracker.atBoundary,
            closeSeen: tracker.closeSeen,
            bytesToBoundary: tracker.bytesToBoundary(),
            broken: tracker.broken,
          };
          expect(actual, `after ${offset} of ${stream.length} bytes`).toEqual(expectedAt(frames, offset));
        }
      }),
      propertySettings(300),
    );
  });

  it('consumeToBoundary() stops exactly at every frame end after a claim at any point of the stream', () => {
    fc.assert(
      fc.property(validStreamArb, fc.nat(), ({ specs, cuts }, switchAt) => {
        const { stream, frames, chunks } = placeAndCut(specs, cuts);
        // A gentle close: the relay observes whole chunks, then claims the tracker mid-stream.
        const observed = switchAt % (chunks.length + 1);
        const tracker = new FrameBoundaryTracker();
        let base = 0;
        for (const chunk of chunks.slice(0, observed)) {
          tracker.observe(chunk);
          base += chunk.length;
        }
        const claimedAt = base;
        tracker.claim();
        const stops: number[] = [];
        for (const chunk of chunks.slice(observed)) {
          tracker.observe(chunk); // ignored once claimed
          let offset = 0;
          while (offset < chunk.length) {
            const next = tracker.consumeToBoundary(chunk, offset);
            expect(next).toBeGreaterThan(offset); // progress: the relay's loop always ends
            offset = next;
            // Stopping short of the chunk's end is only allowed at a frame end.
            if (offset < chunk.length || tracker.atBoundary) stops.push(base + offset);
          }
          base += chunk.length;
        }
        expect(stops).toEqual(frames.map((frame) => frame.end).filter((end) => end > claimedAt));
        expect([tracker.frames, tracker.bytes, tracker.atBoundary]).toEqual([frames.length, stream.length, true]);
        expect(tracker.closeSeen).toBe(frames.some((frame) => frame.opcode === 0x8));
      }),
      propertySettings(300),
    );
  });
});

describe('FrameBoundaryTracker properties: a position moved to another process', () => {
  it('a tracker resumed from its JSON position at any chunk goes on exactly as one that never moved', () => {
    fc.assert(
      fc.property(validStreamArb, fc.nat(), ({ specs, cuts }, moveAt) => {
        const { chunks } = placeAndCut(specs, cuts);
        const stayed = new FrameBoundaryTracker();
        let moved = new FrameBoundaryTracker();
        const at = moveAt % (chunks.length + 1);
        for (const [index, chunk] of chunks.entries()) {
          // A worker handing the tunnel over: the position crosses IPC as JSON.
          if (index === at) moved = FrameBoundaryTracker.resume(JSON.parse(JSON.stringify(moved.position())));
          stayed.observe(chunk);
          moved.observe(chunk);
          expect(snapshot(moved)).toEqual(snapshot(stayed));
          expect(moved.messages).toBe(stayed.messages);
        }
      }),
      propertySettings(300),
    );
  });

  it('resume() refuses positions no tracker could have taken', () => {
    const valid = new FrameBoundaryTracker().position();
    // The longest partial header: 13 bytes of a 14-byte one (64-bit length, masked).
    expect(FrameBoundaryTracker.resume({ ...valid, partial: [0x82, 0xff, ...Array(11).fill(0)] }).atBoundary).toBe(
      false,
    );
    for (const bad of [
      { ...valid, remaining: -1 },
      { ...valid, bytes: 1.5 },
      { ...valid, frames: Number.NaN },
      { ...valid, partial: Array(14).fill(0xff) },
      { ...valid, partial: [0x81, 0x05, 0, 0] },
      { ...valid, partial: [0x82], remaining: 3 },
      { ...valid, partial: 'x' as unknown as number[] },
    ])
      expect(() => FrameBoundaryTracker.resume(bad)).toThrow(RangeError);
  });
});

/** Everything a tracker reports, to compare two trackers. */
function snapshot(tracker: FrameBoundaryTracker) {
  return {
    bytes: tracker.bytes,
    frames: tracker.frames,
    atBoundary: tracker.atBoundary,
    broken: tracker.broken,
    violation: tracker.violation,
    closeSeen: tracker.closeSeen,
    bytesToBoundary: tracker.bytesToBoundary(),
  };
}

/**
 * Noise shaped like headers: any first byte, a 7-bit length biased to 126/127 and extended length
 * bytes biased to the edges of the 64-bit rules (MSB set, beyond 2^53), which uniform noise rarely hits.
 */
const headerNoiseArb = fc
  .array(
    fc.tuple(
      fc.integer({ min: 0, max: 255 }),
      fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(0x7e, 0x7f, 0xfe, 0xff)),
      fc.constantFrom(0x00, 0x1f, 0x20, 0x7f, 0x80, 0xff),
      fc.uint8Array({ minLength: 11, maxLength: 11 }),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((headers) => {
    const bytes = headers.map(([first, second, high, rest]) => Buffer.from([first, second, high, ...rest]));
    return Buffer.concat(bytes);
  });

// Hostile input: pure noise, header-shaped noise, a valid stream with bytes overwritten, or a
// valid stream then noise.
const hostileStreamArb: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((bytes) => Buffer.from(bytes)),
  headerNoiseArb,
  fc
    .tuple(
      fc.array(
        fc.oneof(
          dataFrameArb.filter((frame) => frame.length < 2_000),
          controlFrameArb,
        ),
        { maxLength: 8 },
      ),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 6 }),
    )
    .map(([specs, writes]) => {
      const { stream } = place(specs);
      for (const [at, value] of writes) if (stream.length > 0) stream[at % stream.length] = value;
      return stream;
    }),
  fc
    .tuple(fc.array(controlFrameArb, { maxLength: 4 }), fc.uint8Array({ minLength: 1, maxLength: 200 }))
    .map(([specs, noise]) => Buffer.concat([place(specs).stream, noise])),
);

describe('FrameBoundaryTracker properties: hostile bytes', () => {
  it('never throws, and after every chunk agrees with a tracker fed the same prefix at once', () => {
    fc.assert(
      fc.property(hostileStreamArb, fc.array(fc.nat(), { maxLength: 12 }), (stream, cutSeeds) => {
        const cuts = cutSeeds.map((seed) => seed % (stream.length + 1)).sort((a, b) => a - b);
        const tracker = new FrameBoundaryTracker();
        let offset = 0;
        let wasBroken = false;
        let framesWhenBroken = 0;
        for (const chunk of chunksOf(stream, cuts)) {
          tracker.observe(chunk);
          offset += chunk.length;
          const whole = new FrameBoundaryTracker();
          whole.observe(stream.subarray(0, offset));
          expect(snapshot(tracker)).toEqual(snapshot(whole));
          if (tracker.broken) {
            // Broken means boundaries are unknown: never claim to be at one.
            expect(tracker.atBoundary).toBe(false);
            expect(tracker.bytesToBoundary()).toBeUndefined();
            expect(tracker.violation).toBeDefined();
            // Once broken, nothing more is parsed.
            if (!wasBroken) framesWhenBroken = tracker.frames;
            expect(tracker.frames).toBe(framesWhenBroken);
            wasBroken = true;
          } else {
            expect(wasBroken).toBe(false);
          }
        }
      }),
      propertySettings(400),
    );
  });

  it('consumeToBoundary() never throws, always progresses and ends in the state observe() reaches', () => {
    fc.assert(
      fc.property(hostileStreamArb, fc.array(fc.nat(), { maxLength: 12 }), (stream, cutSeeds) => {
        const cuts = cutSeeds.map((seed) => seed % (stream.length + 1)).sort((a, b) => a - b);
        const tracker = new FrameBoundaryTracker();
        tracker.claim();
        for (const chunk of chunksOf(stream, cuts)) {
          for (let offset = 0; offset < chunk.length;) {
            const next = tracker.consumeToBoundary(chunk, offset);
            expect(next).toBeGreaterThan(offset);
            expect(next).toBeLessThanOrEqual(chunk.length);
            offset = next;
          }
        }
        const whole = new FrameBoundaryTracker();
        whole.observe(stream);
        expect(snapshot(tracker)).toEqual(snapshot(whole));
      }),
      propertySettings(400),
    );
  });
});
