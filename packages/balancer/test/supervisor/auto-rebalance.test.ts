import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionRecord } from '../../src/core/session-record.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { AutoRebalance } from '../../src/supervisor/auto-rebalance.js';

const log = pino({ level: 'silent' });
const interval = 1_000;
const terms = { tolerance: 0.1, rate: 20, minAgeMs: 1_000, forMs: undefined };

function session(id: string, backend: string, startedAt: number): ConnectionRecord {
  return { id, node: 'n1', worker: 1, backend, client: '10.0.0.1', route: 'balance', startedAt };
}

describe('AutoRebalance', () => {
  let store: MemoryStateStore;
  let nodes: AutoRebalance[];
  let moved: string[];
  /** Where a closed session's client comes back, and how old its new session reads. */
  let comeBack: { backend: string; ageMs: number };
  beforeEach(async () => {
    vi.useFakeTimers({ now: Date.UTC(2026, 0, 1) });
    store = new MemoryStateStore();
    for (const id of ['b1', 'b2'])
      await store.putBackend({ id, url: `http://127.0.0.1:${id === 'b1' ? 1 : 2}`, weight: 1, state: 'active' });
    await store.heartbeat({ id: 'n1', startedAt: 0, pid: 1, listen: 'n1:1', admin: 'n1:2' }, 3_600_000);
    const old = Date.now() - 60_000;
    await store.recordConnections(
      'n1',
      [0, 1, 2, 3].map((index) => session(`s${index}`, 'b1', old)),
      [],
    );
    // The node and its clients: a listed session closes and its client comes back on b2.
    moved = [];
    comeBack = { backend: 'b2', ageMs: 0 };
    await store.subscribe((event) => {
      if (event.type !== 'rebalance') return;
      for (const { ids } of event.closes) {
        moved.push(...ids);
        void store.recordConnections(
          'n1',
          ids.map((id) => session(`${id}-again`, comeBack.backend, Date.now() - comeBack.ageMs)),
          ids,
        );
      }
    });
    nodes = ['n1', 'n2'].map(
      (nodeId) =>
        new AutoRebalance({
          store: new MemoryStateStore({ shareWith: store }),
          nodeId,
          log,
          intervalMs: interval,
          terms,
        }),
    );
  });
  afterEach(() => {
    for (const node of nodes) node.destroy();
    vi.useRealTimers();
  });

  it('is off until enabled; then one node at a time rebalances, until balanced', async () => {
    await vi.advanceTimersByTimeAsync(3 * interval);
    expect(moved).toEqual([]);
    await Promise.all(nodes.map((node) => node.setEnabled(true)));
    await vi.advanceTimersByTimeAsync(interval);
    expect(nodes.filter((node) => node.running)).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(moved.sort()).toEqual(['s0', 's1']);
    expect(Object.fromEntries((await store.liveCounts()).total)).toEqual({ b1: 2, b2: 2 });
    const record = await store.readRebalance();
    expect(record).toMatchObject({ state: 'balanced', closed: 2 });
    expect(['n1', 'n2']).toContain(record?.by);
    expect(nodes.some((node) => node.running)).toBe(false);
  });

  it('does not try again after a stall until the backends change', async () => {
    // Clients that hash back to b1 whatever happens (and read as old, so they could be chosen again).
    comeBack = { backend: 'b1', ageMs: 60_000 };
    const node = nodes[0]!;
    await node.setEnabled(true);
    await vi.advanceTimersByTimeAsync(interval);
    await vi.advanceTimersByTimeAsync(20_000);
    expect(node.running).toBe(false);
    const stalled = moved.length;
    expect(stalled).toBeGreaterThan(0);
    await vi.advanceTimersByTimeAsync(20 * interval);
    expect(moved).toHaveLength(stalled);
    await store.putBackend({ id: 'b3', url: 'http://127.0.0.1:3', weight: 1, state: 'active' });
    await vi.advanceTimersByTimeAsync(interval + 100);
    expect(node.running).toBe(true);
  });

  it('leaves the floor to a running `mooring rebalance`, and gives the lease up when turned off', async () => {
    await store.writeRebalance(
      {
        state: 'running',
        startedAt: 0,
        updatedAt: 0,
        tolerance: 0.1,
        rate: 20,
        minAgeMs: 0,
        closed: 0,
        remaining: 2,
        backends: [],
      },
      60_000,
    );
    await nodes[0]!.setEnabled(true);
    await vi.advanceTimersByTimeAsync(3 * interval);
    expect([nodes[0]!.running, moved]).toEqual([false, []]);
    await nodes[0]!.setEnabled(false);
    expect(await store.acquireLease('rebalance', 'other', 60_000)).toBe(true);
  });
});
