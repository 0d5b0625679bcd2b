import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DegradedTracker } from '../../src/control-plane/degraded-tracker.js';
import { HealthLease } from '../../src/control-plane/health-lease.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import type { StateEvent } from '../../src/state/state-store.js';
import { backend, nextMacrotask, silentLog, useFakeClock } from './fakes.js';

const backends = [backend('a'), backend('bb')];
const settings = { intervalMs: 1_000, path: '/health', timeoutMs: 200 };

describe('HealthLease', () => {
  let memory: MemoryStateStore;
  /** Which backends fail their checks now, by URL. */
  let failing: Set<string>;
  let probes: Array<{ node: string; origin: string; path: string }>;
  let published: StateEvent[];
  const leases: HealthLease[] = [];
  const told = new Map<string, Array<readonly string[]>>();

  /** A node's lease on the shared memory store, with its events wired as RegistrySync would. */
  const newLease = async (nodeId: string, intervalMs = settings.intervalMs): Promise<HealthLease> => {
    const store = new MemoryStateStore({ shareWith: memory });
    told.set(nodeId, []);
    const lease = new HealthLease({
      store,
      tracker: new DegradedTracker(silentLog()),
      log: silentLog(),
      nodeId,
      rise: 2,
      fall: 2,
      settings: { ...settings, intervalMs },
      backends: () => backends,
      onUnhealthy: (unhealthy) => void told.get(nodeId)!.push(unhealthy),
      probe: async (origin, path) => {
        probes.push({ node: nodeId, origin, path });
        return !failing.has(origin);
      },
    });
    await store.subscribe((event) => lease.onEvent(event));
    leases.push(lease);
    lease.start();
    return lease;
  };
  const holders = (): number[] => leases.flatMap((lease, index) => (lease.role === 'holder' ? [index] : []));

  beforeEach(async () => {
    useFakeClock();
    memory = new MemoryStateStore();
    failing = new Set();
    probes = [];
    published = [];
    told.clear();
    await memory.subscribe((event) => void published.push(event));
  });
  afterEach(() => {
    for (const lease of leases.splice(0)) lease.destroy();
    vi.useRealTimers();
  });

  it('lets one node at a time probe; every node learns the verdicts (fall 2)', async () => {
    await newLease('n1');
    await newLease('n2');
    await vi.advanceTimersByTimeAsync(1_000);
    expect(holders()).toEqual([0]);
    expect(probes).toEqual(backends.map(({ url }) => ({ node: 'n1', origin: url, path: '/health' })));

    failing.add(backends[0]!.url);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(told.get('n1')).toEqual([]); // one failure is not a verdict
    await vi.advanceTimersByTimeAsync(1_000);
    expect(told.get('n1')).toEqual([['a']]);
    expect(told.get('n2')).toEqual([['a']]);
    expect(leases[1]!.unhealthy).toEqual(['a']);
    expect(probes.every((probe) => probe.node === 'n1')).toBe(true);
  });

  it('publishes passive failures at most once per backend per 500 ms; the holder counts them', async () => {
    const holder = await newLease('n1');
    const follower = await newLease('n2');
    await vi.advanceTimersByTimeAsync(1_000);
    follower.backendFailed('a');
    follower.backendFailed('a');
    follower.backendFailed('bb');
    await vi.advanceTimersByTimeAsync(499);
    follower.backendFailed('a');
    await nextMacrotask();
    const passive = (): string[] =>
      published.flatMap((event) => (event.type === 'passive-failure' ? [event.backend] : []));
    expect(passive()).toEqual(['a', 'bb']);
    await vi.advanceTimersByTimeAsync(1);
    follower.backendFailed('a');
    await nextMacrotask();
    expect(passive()).toEqual(['a', 'bb', 'a']);
    // Two failures of `a` reached the holder: fall 2, so it is down before any probe failed.
    expect(holder.unhealthy).toEqual(['a']);
    expect(told.get('n2')).toEqual([['a']]);
  });

  it('hands the lease on at close(); the next holder continues from the written verdicts', async () => {
    const first = await newLease('n1');
    await newLease('n2');
    failing.add(backends[0]!.url);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(first.unhealthy).toEqual(['a']);
    await first.close();
    expect(first.role).toBe('follower');
    failing.clear();
    probes = [];
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes.map((probe) => probe.node)).toEqual(['n2', 'n2']);
    expect(leases[1]!.unhealthy).toEqual(['a']); // rise 2: one pass does not bring it back
    await vi.advanceTimersByTimeAsync(1_000);
    expect(leases[1]!.unhealthy).toEqual([]);
  });

  it('without a release, another node takes over once the lease expires (three intervals)', async () => {
    const first = await newLease('n1');
    await vi.advanceTimersByTimeAsync(1_000);
    first.destroy();
    await newLease('n2');
    probes = [];
    await vi.advanceTimersByTimeAsync(1_000); // the lease, renewed at 1 s, is held until 4 s
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(probes.map((probe) => probe.node)).toEqual(['n2', 'n2']);
  });

  it('SIGHUP: a new interval checks at once; 0 stops checking and releases the lease', async () => {
    const lease = await newLease('n1');
    await vi.advanceTimersByTimeAsync(1_000);
    await lease.reconfigure({ ...settings, intervalMs: 300 });
    await nextMacrotask();
    expect(probes).toHaveLength(4);
    await lease.reconfigure({ ...settings, intervalMs: 0 });
    expect(lease.role).toBe('follower');
    expect(await memory.acquireLease('health', 'n2', 1_000)).toBe(true);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(probes).toHaveLength(4);
    expect(vi.getTimerCount()).toBe(0);
  });
});
