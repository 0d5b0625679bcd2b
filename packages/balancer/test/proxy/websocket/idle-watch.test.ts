import type { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { DeadlineWheel } from '../../../src/proxy/deadline-wheel.js';
import { IdleWatch } from '../../../src/proxy/websocket/idle-watch.js';
import { ManualClock } from '../manual-clock.js';

/** A socket as the watch sees it: two byte counts the test moves. */
function fakeSocket() {
  return { bytesRead: 0, bytesWritten: 0 } as { bytesRead: number; bytesWritten: number };
}

function setup(timeoutMs = 1_000) {
  const clock = new ManualClock();
  const wheel = new DeadlineWheel({ tickMs: 10, clock });
  const socket = fakeSocket();
  const idled: number[] = [];
  const start = clock.now();
  const watch = new IdleWatch(socket as unknown as Socket, timeoutMs, wheel, 'tunnel', () =>
    idled.push(clock.now() - start),
  );
  return { clock, wheel, socket, idled, watch, start };
}

describe('IdleWatch', () => {
  it('calls a silent tunnel idle after the timeout, not before and less than a quarter later', () => {
    const { clock, idled } = setup(1_000);
    clock.advance(999);
    expect(idled).toEqual([]);
    clock.advance(400);
    expect(idled).toHaveLength(1);
    expect(idled[0]).toBeGreaterThanOrEqual(1_000);
    expect(idled[0]).toBeLessThan(1_000 + 250 + 10);
  });

  it('counts bytes either way as activity, from the last byte on', () => {
    const { clock, socket, idled, start } = setup(1_000);
    let lastByte = 0;
    // Bytes in, then out, every 300 ms for 3 s: never idle meanwhile.
    for (let i = 0; i < 10; i++) {
      clock.advance(300);
      if (i % 2 === 0) socket.bytesRead += 5;
      else socket.bytesWritten += 7;
      lastByte = clock.now() - start;
    }
    expect(idled).toEqual([]);
    clock.advance(5_000);
    expect(idled).toHaveLength(1);
    const silentFor = idled[0]! - lastByte;
    expect(silentFor).toBeGreaterThanOrEqual(1_000);
    expect(silentFor).toBeLessThan(1_000 + 250 + 10);
  });

  it('stops: a stopped watch never calls idle and leaves nothing on the wheel', () => {
    const { clock, wheel, idled, watch } = setup(1_000);
    clock.advance(600);
    watch.stop();
    expect(wheel.size).toBe(0);
    clock.advance(10_000);
    expect(idled).toEqual([]);
  });
});
