import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeControlPlane } from '../../src/control-plane/node-control-plane.js';
import type { WorkerLink } from '../../src/control-plane/worker-link.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import {
  backend,
  config,
  instrumented,
  nextMacrotask,
  seededRandom,
  session,
  silentLog,
  useFakeClock,
} from './fakes.js';

/** A WorkerLink that records every call, as `<method> <argument…>` lines. */
function recordingLink(): { link: WorkerLink; calls: string[] } {
  const calls: string[] = [];
  const link: WorkerLink = {
    broadcastBackends: (backends) => void calls.push(`backends ${backends.map(({ id }) => id).join(',')}`),
    broadcastHealth: (unhealthy) => void calls.push(`health ${unhealthy.join(',')}`),
    broadcastCounts: (total) => void calls.push(`counts ${JSON.stringify(total)}`),
    closeSession: (worker, id, code, reason) => void calls.push(`close ${worker} ${id} ${code} ${reason}`),
    broadcastRebalancing: (holding) => void calls.push(`rebalancing ${holding}`),
  };
  return { link, calls };
}

describe('NodeControlPlane wiring', () => {
  let memory: MemoryStateStore;
  let peer: MemoryStateStore;
  let plane: NodeControlPlane | undefined;

  beforeEach(() => {
    useFakeClock();
    memory = new MemoryStateStore();
    peer = new MemoryStateStore({ shareWith: memory });
  });
  afterEach(async () => {
    await plane?.close();
    vi.useRealTimers();
  });

  it("follows mooring rebalance: holds the workers, closes this node's listed sessions, lets go", async () => {
    const { link, calls } = recordingLink();
    const settings = config({ backends: [{ id: 's', url: 'http://127.0.0.1:9001' }] });
    plane = new NodeControlPlane({ store: memory, config: settings, log: silentLog(), workers: link });
    await plane.start();
    plane.sessionsReported(2, [session('x', { backend: 's' }), session('y', { backend: 's' })], []);
    const node = settings.nodeId;
    const closes = [
      { node, ids: ['x', 'gone'] },
      { node: 'elsewhere', ids: ['y'] },
    ];
    await peer.publish({ type: 'rebalance', holdMs: 5_000, code: 1012, closes });
    await vi.advanceTimersByTimeAsync(100);
    // The close event reads the counts at once; this node's part is its table's, flushed or not.
    expect(calls.filter((call) => !call.startsWith('backends'))).toEqual([
      'rebalancing true',
      'counts {"total":{"s":2},"byWorker":{"2":{"s":2}}}',
      'close 2 x 1012 rebalance',
    ]);
    expect(plane.snapshot().rebalancing).toBe(true);
    await peer.publish({ type: 'rebalance', holdMs: 0, code: 1012, closes: [] });
    await nextMacrotask();
    expect(calls.at(-1)).toBe('rebalancing false');
    expect(plane.snapshot().rebalancing).toBe(false);
  });

  it('tells workers the membership and counts, and keeps a snapshot for a new worker', async () => {
    const { link, calls } = recordingLink();
    const settings = config({ backends: [{ id: 's', url: 'http://127.0.0.1:9001' }] });
    plane = new NodeControlPlane({ store: memory, config: settings, log: silentLog(), workers: link });
    await plane.start();
    await peer.putBackend(backend('r'));
    await nextMacrotask();
    plane.sessionsReported(3, [session('x', { backend: 'r', worker: 0 })], []);
    await vi.advanceTimersByTimeAsync(500);
    expect(calls).toEqual(['backends s', 'backends r,s', 'counts {"total":{"r":1},"byWorker":{"3":{"r":1}}}']);
    expect(await memory.listConnections()).toMatchObject([{ id: 'x', worker: 3 }]);
    expect(plane.snapshot()).toMatchObject({ unhealthy: [], counts: { total: { r: 1 }, byWorker: { 3: { r: 1 } } } });
    expect(plane.snapshot().backends.map(({ id }) => id)).toEqual(['r', 's']);
    expect(plane.liveSessions()).toBe(1);

    plane.workerExited(3);
    await vi.advanceTimersByTimeAsync(500);
    expect(plane.liveSessions()).toBe(0);
    expect(calls.at(-1)).toBe('counts {"total":{},"byWorker":{}}');
  });

  it('announces routable backends in its heartbeat, and leaves the store on close', async () => {
    plane = new NodeControlPlane({ store: memory, config: config(), log: silentLog(), workers: recordingLink().link });
    await peer.putBackend(backend('a'));
    await peer.putBackend(backend('d', 'draining'));
    await plane.start();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(await peer.listNodes()).toMatchObject([{ id: 'n1', routable: ['a'], degraded: false }]);
    await plane.close();
    expect(await peer.listNodes()).toEqual([]);
    expect(plane.state).toBe('closed');
  });

  it('asks workers to close sessions, paced, at shutdown', async () => {
    const { link, calls } = recordingLink();
    const random = seededRandom(7);
    plane = new NodeControlPlane({ store: memory, config: config(), log: silentLog(), workers: link, random });
    await plane.start();
    calls.length = 0;
    plane.sessionsReported(2, [session('old', { startedAt: 1 }), session('new', { startedAt: 2 })], []);
    plane.beginShutdown(10, 1001); // one per 100 ms tick
    await vi.advanceTimersByTimeAsync(99);
    expect(calls).toEqual(['close 2 old 1001 shutdown']);
    await vi.advanceTimersByTimeAsync(100);
    expect(calls).toEqual(['close 2 old 1001 shutdown', 'close 2 new 1001 shutdown']);
  });

  it('after an outage, re-reads the registry and subscribes as soon as a heartbeat gets through', async () => {
    const fake = instrumented(memory);
    const { link, calls } = recordingLink();
    // Beats (200 ms) well before the registry poll (1 s): what follows the outage is the beat's doing.
    const settings = config({ heartbeatInterval: 200 });
    plane = new NodeControlPlane({ store: fake.store, config: settings, log: silentLog(), workers: link });
    fake.failing.add('heartbeat').add('readShared').add('subscribe'); // the store is away at start
    await plane.start();
    expect(plane.degraded).toBe(true);
    await peer.putBackend(backend('late')); // nobody hears it
    fake.failing.clear();
    await vi.advanceTimersByTimeAsync(199);
    expect(calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(plane.degraded).toBe(false);
    expect(calls).toEqual(['backends late']);
    expect(fake.count('subscribe')).toBe(2);
    await peer.putBackend(backend('later')); // announced, and now heard
    await nextMacrotask();
    expect(calls).toEqual(['backends late', 'backends late,later']);
    plane.destroy();
    expect(vi.getTimerCount()).toBe(0);
  });
});
