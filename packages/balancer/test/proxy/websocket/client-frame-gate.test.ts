import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { clientFrame } from '@mooring/testkit';
import { ClientFrameGate } from '../../../src/proxy/websocket/client-frame-gate.js';
import { FrameBoundaryTracker } from '../../../src/protocol/frame-tracker.js';

/**
 * A gate between two in-memory streams: every write to `source` is one chunk the gate sees, so
 * a test decides exactly where reads split the stream. `veto` decides per frame header.
 */
function gateOf(veto: (index: number, length: number) => boolean) {
  const source = new PassThrough();
  const sink = new PassThrough();
  const received: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => received.push(chunk));
  let index = 0;
  const tracker = new FrameBoundaryTracker((_fin, _opcode, length) => !veto(index++, length));
  new ClientFrameGate(source as unknown as Socket, sink as unknown as Socket, tracker).start();
  return { source, tracker, forwarded: () => Buffer.concat(received) };
}

/** Writes `stream` cut at `cuts`, one chunk per write, and lets the streams flow. */
async function feed(source: PassThrough, stream: Buffer, cuts: readonly number[]): Promise<void> {
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    source.write(stream.subarray(from, to));
    from = to;
  }
  await new Promise((resolve) => setImmediate(resolve));
}

const frames = [
  clientFrame(0x1, Buffer.from('one')),
  clientFrame(0x2, Buffer.alloc(300, 2)),
  clientFrame(0x1, Buffer.from('three')),
];
const stream = Buffer.concat(frames);
const end = (count: number): number => frames.slice(0, count).reduce((sum, frame) => sum + frame.length, 0);

describe('ClientFrameGate', () => {
  it('forwards frames nobody vetoes byte for byte, however the reads split them', async () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const gate = gateOf(() => false);
      await feed(gate.source, stream, [cut]);
      expect(Buffer.compare(gate.forwarded(), stream), `cut at ${cut}`).toBe(0);
    }
  });

  it('stops just before a vetoed frame: none of its bytes, nor any after it, go through', async () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const gate = gateOf((index) => index === 1);
      await feed(gate.source, stream, [cut]);
      expect(gate.forwarded().length, `cut at ${cut}`).toBe(end(1));
      expect(gate.tracker.vetoedAt).toBe(end(1));
    }
  });

  it('holds back a header split byte by byte until it is complete', async () => {
    const gate = gateOf((index) => index === 1);
    const cuts = Array.from({ length: stream.length - 1 }, (_, i) => i + 1);
    await feed(gate.source, stream, cuts);
    expect(gate.forwarded().length).toBe(end(1));
  });

  it('hands held header bytes over when a gentle close claims the direction', async () => {
    const gate = gateOf(() => false);
    // The first frame and two bytes of the second header: those two are held back.
    await feed(gate.source, stream.subarray(0, end(1) + 2), []);
    expect(gate.forwarded().length).toBe(end(1));
    gate.tracker.claim();
    await new Promise((resolve) => setImmediate(resolve));
    expect(gate.forwarded().length).toBe(end(1) + 2);
  });
});
