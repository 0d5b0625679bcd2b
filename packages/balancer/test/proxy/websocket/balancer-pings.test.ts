import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { opcodes, readFrameHeader } from '../../../src/protocol/frame-header.js';
import { BalancerPings } from '../../../src/proxy/websocket/balancer-pings.js';
import { DeadlineWheel, systemClock } from '../../../src/proxy/deadline-wheel.js';

/** A 10 ms wheel on the faked Date and setInterval: every time these tests read is a multiple of its tick. */
const fakeTimedWheel = (): DeadlineWheel =>
  new DeadlineWheel({ tickMs: 10, clock: { now: () => Date.now(), every: systemClock.every } });

/** Pings on a fake clock: what was injected, and whether the tunnel timed out. */
function pingsOf(intervalMs = 1_000, timeoutMs = 500) {
  const injected: Buffer[] = [];
  let timedOut = 0;
  const pings = new BalancerPings(
    { inject: (frame) => injected.push(frame), timedOut: () => timedOut++ },
    { intervalMs, timeoutMs, name: 'session-1', wheel: fakeTimedWheel() },
  );
  const payloadOf = (frame: Buffer): Buffer => {
    const read = readFrameHeader(frame);
    if (read.kind !== 'header') throw new Error('not a frame');
    return frame.subarray(read.header.headerLength);
  };
  return { pings, injected, timedOut: () => timedOut, payloadOf };
}

describe('BalancerPings', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('pings a silent client one interval after the start, with a payload naming Mooring and the session', () => {
    const { pings, injected, payloadOf } = pingsOf();
    vi.advanceTimersByTime(999);
    expect(injected).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(injected).toHaveLength(1);
    const frame = injected[0]!;
    expect([frame[0]! & 0x0f, frame[0]! & 0x80, frame[1]! & 0x80]).toEqual([opcodes.ping, 0x80, 0]); // unmasked, whole
    expect(payloadOf(frame).toString()).toBe('mooring session-1 1');
    pings.destroy();
  });

  it('closes when neither the pong nor anything else comes within the timeout', () => {
    const { pings, timedOut } = pingsOf();
    vi.advanceTimersByTime(1_499);
    expect(timedOut()).toBe(0);
    vi.advanceTimersByTime(1);
    expect(timedOut()).toBe(1);
    pings.destroy();
  });

  it('takes its own pong as the answer and consumes only that one', () => {
    const { pings, injected, timedOut, payloadOf } = pingsOf();
    vi.advanceTimersByTime(1_000);
    const payload = payloadOf(injected[0]!);
    expect(pings.isOwnPong(opcodes.pong, Buffer.from('the application pong'))).toBe(false);
    expect(pings.isOwnPong(opcodes.ping, payload)).toBe(false);
    pings.heard();
    expect(pings.isOwnPong(opcodes.pong, payload)).toBe(true);
    // Answered once: the same payload again is not ours any more, it goes to the backend.
    expect(pings.isOwnPong(opcodes.pong, payload)).toBe(false);
    // Answered: the next ping goes out an interval after the answer, and only its silence closes.
    vi.advanceTimersByTime(1_400);
    expect([timedOut(), injected.length]).toEqual([0, 2]);
    pings.destroy();
  });

  it('never pings a client that keeps talking, and pings it one interval after it stops', () => {
    const { pings, injected } = pingsOf();
    for (let i = 0; i < 100; i++) {
      vi.advanceTimersByTime(900);
      pings.heard();
    }
    expect(injected).toHaveLength(0);
    vi.advanceTimersByTime(999);
    expect(injected).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(injected).toHaveLength(1);
    pings.destroy();
  });

  it('keeps a client that answers every ping through an hour of silence, one ping per interval', () => {
    const { pings, injected, timedOut } = pingsOf(30_000, 10_000);
    for (let elapsed = 0; elapsed < 3_600_000; elapsed += 1_000) {
      const before = injected.length;
      vi.advanceTimersByTime(1_000);
      if (injected.length > before) pings.heard(); // the pong, a moment later
    }
    expect(timedOut()).toBe(0);
    // Each ping goes out an interval after the previous pong: about an hour / 30 s of them.
    expect(injected.length).toBeGreaterThanOrEqual(115);
    expect(injected.length).toBeLessThanOrEqual(120);
    pings.destroy();
  });

  it('stops with destroy(): no ping and no timeout afterwards', () => {
    const { pings, injected, timedOut } = pingsOf();
    vi.advanceTimersByTime(1_000);
    pings.destroy();
    vi.advanceTimersByTime(10_000);
    expect([injected.length, timedOut()]).toEqual([1, 0]);
  });
});
