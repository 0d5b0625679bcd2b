import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterCounts, type WorkerCounts } from '../../src/control-plane/cluster-counts.js';
import { ConnectionTable } from '../../src/control-plane/connection-table.js';
import { DegradedTracker } from '../../src/control-plane/degraded-tracker.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { instrumented, session, silentLog, useFakeClock } from './fakes.js';

describe('ClusterCounts', () => {
  let counts: ClusterCounts | undefined;
  afterEach(() => {
    counts?.destroy();
    vi.useRealTimers();
  });
  beforeEach(useFakeClock);

  it('reads every 500 ms, tells only changes, and keeps the last counts while the store is away', async () => {
    const memory = new MemoryStateStore();
    const fake = instrumented(memory);
    const tracker = new DegradedTracker(silentLog());
    const node = { startedAt: 0, pid: 1, listen: '', admin: '' };
    await memory.heartbeat({ ...node, id: 'n1' }, 60_000);
    await memory.heartbeat({ ...node, id: 'n2' }, 60_000);
    await memory.replaceConnections('n1', [session('s1'), session('s2', { backend: 'b' })]);
    await memory.replaceConnections('n2', [session('s3', { node: 'n2' })]);
    const told: WorkerCounts['total'][] = [];
    // Read from a third node, which holds no session.
    counts = new ClusterCounts({
      store: fake.store,
      tracker,
      nodeId: 'n3',
      liveByWorker: () => new Map(),
      onCounts: ({ total }) => void told.push(total),
    });
    counts.start();

    await vi.advanceTimersByTimeAsync(499);
    expect(told).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(told).toEqual([{ a: 2, b: 1 }]);
    expect(counts.live.get('a')).toBe(2);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(told).toHaveLength(1);

    await memory.recordConnections('n2', [], ['s3']);
    fake.failing.add('liveCounts');
    await vi.advanceTimersByTimeAsync(500);
    expect(tracker.degraded).toBe(true);
    expect(counts.counts.total).toEqual({ a: 2, b: 1 });
    fake.failing.clear();
    await vi.advanceTimersByTimeAsync(500);
    expect(told).toEqual([
      { a: 2, b: 1 },
      { a: 1, b: 1 },
    ]);

    await counts.close();
    expect(vi.getTimerCount()).toBe(0);
    expect(fake.count('liveCounts')).toBe(5);
  });

  it("counts this node's sessions from its own table, which the shared one lags behind, and each worker's", async () => {
    const memory = new MemoryStateStore();
    const tracker = new DegradedTracker(silentLog());
    const node = { startedAt: 0, pid: 1, listen: '', admin: '' };
    await memory.heartbeat({ ...node, id: 'n1' }, 60_000);
    await memory.heartbeat({ ...node, id: 'n2' }, 60_000);
    const table = new ConnectionTable('n1');
    table.opened(session('s1', { worker: 1 }));
    table.opened(session('s2', { worker: 1, backend: 'b' }));
    await table.flush(memory);
    // Reported by the workers after the last flush: not in the shared table yet.
    table.opened(session('s3', { worker: 2 }));
    table.opened(session('s4', { worker: 2, backend: 'b' }));
    table.closed('s2');
    await memory.replaceConnections('n2', [session('s5', { node: 'n2' })]);
    const told: WorkerCounts[] = [];
    counts = new ClusterCounts({
      store: memory,
      tracker,
      nodeId: 'n1',
      liveByWorker: () => table.liveByWorker(),
      onCounts: (sent) => void told.push(sent),
    });
    await counts.refresh();
    expect(told).toEqual([{ total: { a: 3, b: 1 }, byWorker: { 1: { a: 1 }, 2: { a: 1, b: 1 } } }]);
    expect(counts.live).toEqual(
      new Map([
        ['a', 3],
        ['b', 1],
      ]),
    );

    // A session moved to another worker is counted there; a dead worker's sessions nowhere.
    table.moved('s1', 2);
    table.closeWorker(2);
    await counts.refresh();
    expect(told.at(-1)).toEqual({ total: { a: 1 }, byWorker: {} });
  });
});
