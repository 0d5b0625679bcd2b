import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClosePacer, type CloseReason } from '../../src/control-plane/close-pacer.js';
import { jitteredOffsets } from '../../src/control-plane/close-pacing.js';
import { ConnectionTable } from '../../src/control-plane/connection-table.js';
import type { DrainRecord } from '../../src/state/state-store.js';
import { seededRandom, session, useFakeClock } from './fakes.js';

interface Asked {
  readonly id: string;
  readonly code: number;
  readonly reason: CloseReason;
  /** Milliseconds since the test began. */
  readonly at: number;
}

describe('ClosePacer', () => {
  let start: number;
  let clock: number;
  let table: ConnectionTable;
  let drains: Map<string, DrainRecord>;
  let clusterLive: Map<string, number>;
  let asked: Asked[];
  let pacer: ClosePacer;
  /** Whether workers report the sessions they were asked to close as closed. */
  let workersReport: boolean;
  /** Sessions of the backend that close cluster-wide for each one this node closes (its share). */
  let clusterPerClose: number;

  /** Sessions `<backend>-1` … `<backend>-<count>`, the lower the number the older. */
  const open = (backend: string, count: number): void => {
    for (let i = 1; i <= count; i++) table.opened(session(`${backend}-${i}`, { backend, startedAt: i }));
  };
  const drain = (backend: string, closeRate: number, deadlineInMs = 0): void =>
    void drains.set(backend, { startedAt: start, deadlineAt: start + deadlineInMs, closeRate, closeCode: 4000 });
  /** Advances the fake timers, and the injected clock with them. */
  const advance = async (ms: number): Promise<void> => {
    for (let i = 0; i < ms; i++) {
      clock++;
      await vi.advanceTimersByTimeAsync(1);
    }
  };
  const ids = (): string[] => asked.map((entry) => entry.id);

  beforeEach(() => {
    useFakeClock();
    start = 1_000_000;
    clock = start;
    table = new ConnectionTable('n1');
    drains = new Map();
    clusterLive = new Map();
    asked = [];
    workersReport = true;
    clusterPerClose = 1;
    pacer = new ClosePacer({
      sessions: table,
      drains: () => drains,
      clusterLive: () => clusterLive,
      close: (record, code, reason) => {
        asked.push({ id: record.id, code, reason, at: clock - start });
        if (!workersReport) return;
        table.closed(record.id);
        // The other nodes close their share meanwhile, as the next count read would show.
        clusterLive.set(record.backend, (clusterLive.get(record.backend) ?? 0) - clusterPerClose);
      },
      now: () => clock,
      random: seededRandom(20261201),
    });
    pacer.start();
  });
  afterEach(() => {
    pacer.destroy();
    vi.useRealTimers();
  });

  it('waits for the deadline, then closes at the rate per tick, oldest first, each inside its tick', async () => {
    open('a', 10);
    clusterLive.set('a', 10);
    drain('a', 20, 1_000); // 20 per second: 2 per 100 ms tick
    await advance(999);
    expect(asked).toEqual([]);
    await advance(100);
    expect(ids()).toEqual(['a-1', 'a-2']);
    // Jittered inside the tick, as the seeded source says.
    const offsets = jitteredOffsets(2, 100, seededRandom(20261201));
    expect(asked.map((entry) => entry.at)).toEqual(offsets.map((offset) => 1_000 + offset));
    expect(asked[0]).toMatchObject({ code: 4000, reason: 'drain' });
    await advance(200);
    expect(ids()).toEqual(['a-1', 'a-2', 'a-3', 'a-4', 'a-5', 'a-6']);
  });

  it("takes this node's share of a cluster-wide rate", async () => {
    open('a', 10);
    clusterLive.set('a', 40); // a quarter of the backend's sessions are here
    clusterPerClose = 4;
    drain('a', 40);
    await advance(1_099); // ten ticks, the last one's closes sent
    expect(ids()).toHaveLength(10); // 40/s × 1/4 = one per tick
    expect(ids().slice(0, 3)).toEqual(['a-1', 'a-2', 'a-3']);
  });

  it('carries fractions of a close over to the next tick, so low rates still close steadily', async () => {
    open('a', 10);
    clusterLive.set('a', 10);
    drain('a', 5); // half a close per tick
    await advance(1_099);
    expect(ids()).toHaveLength(5);
    const ticks = asked.map((entry) => Math.floor(entry.at / 100));
    expect(new Set(ticks).size).toBe(5); // one close every other tick, never two at once
  });

  it('shutdown: the rate is for the whole node, shared over its backends, and the first tick is at once', async () => {
    open('a', 6);
    open('b', 3);
    pacer.beginShutdown(30, 1001); // 3 per tick: a has 2/3 of the sessions, b 1/3
    await advance(99);
    expect(ids().sort()).toEqual(['a-1', 'a-2', 'b-1']);
    expect(asked.every((entry) => entry.reason === 'shutdown' && entry.code === 1001)).toBe(true);
    await advance(200);
    expect(ids()).toHaveLength(9);
    expect(pacer.state).toBe('shutting-down');
  });

  it('asks each session once, even while its worker has not reported it closed', async () => {
    table.opened(session('slow', { startedAt: 1 }));
    clusterLive.set('a', 1);
    drain('a', 1_000);
    workersReport = false; // the session stays in the table
    await advance(1_000);
    expect(ids()).toEqual(['slow']);
    table.closed('slow');
    await advance(100); // a tick forgets it
    table.opened(session('slow', { startedAt: 2 }));
    await advance(200);
    expect(ids()).toEqual(['slow', 'slow']);
  });

  it('close() lets the closes already scheduled go out; destroy() drops them', async () => {
    open('a', 4);
    pacer.beginShutdown(20, 1001);
    expect(asked).toHaveLength(0); // scheduled inside this tick, not yet asked
    let closed = false;
    const closing = pacer.close().then(() => (closed = true));
    await advance(50);
    await advance(50);
    await closing;
    expect(closed).toBe(true);
    expect(ids()).toEqual(['a-1', 'a-2']);
    await advance(1_000);
    expect(ids()).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);

    pacer = new ClosePacer({
      sessions: table,
      drains: () => drains,
      clusterLive: () => clusterLive,
      now: () => clock,
      close: (record) => void asked.push({ id: record.id, code: 0, reason: 'drain', at: 0 }),
    });
    pacer.beginShutdown(20, 1001);
    pacer.destroy();
    await advance(1_000);
    expect(ids()).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });
});
