import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ClusterCounts, type CountsRecord } from '../../src/control-plane/cluster-counts.js';
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
    const told: CountsRecord[] = [];
    counts = new ClusterCounts({ store: fake.store, tracker, onCounts: (total) => void told.push(total) });
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
    expect(counts.total).toEqual({ a: 2, b: 1 });
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
});
