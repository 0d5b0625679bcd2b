import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../src/core/backend.js';
import { DegradedTracker } from '../../src/control-plane/degraded-tracker.js';
import { liveRegistry } from '../../src/control-plane/lease-expiry.js';
import { RegistrySync } from '../../src/control-plane/registry-sync.js';
import { judgeAnnounce, operatorWriteRefused, parseLease } from '../../src/state/backend-lease.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { parseRegistryEntry } from '../../src/state/registry-entry.js';
import { instrumented, silentLog, useFakeClock, type Instrumented } from './fakes.js';

const web = (id: string): Backend => ({ id, url: 'http://127.0.0.1:4100', weight: 1, state: 'active' });
const lease = (holder: string, ttlMs = 3_000) => ({ holder, ttlMs });

describe('lease rules (pure)', () => {
  it.each([
    [{ registered: false, holder: undefined, leaseAlive: false }, 'created', false],
    [{ registered: true, holder: undefined, leaseAlive: false }, 'operator', false],
    [{ registered: true, holder: 'me', leaseAlive: true }, 'renewed', true],
    [{ registered: true, holder: 'me', leaseAlive: false }, 'renewed', false],
    [{ registered: true, holder: 'other', leaseAlive: true }, 'held', true],
    [{ registered: true, holder: 'other', leaseAlive: false }, 'created', false],
  ] as const)('%j: announce by "me" → %s; operator write refused: %s', (situation, outcome, refused) => {
    expect(judgeAnnounce(situation, 'me')).toBe(outcome);
    expect(operatorWriteRefused(situation)).toBe(refused);
  });

  it('parses a lease, and names what is wrong with a bad one', () => {
    expect(parseLease({ holder: 'h', ttlMs: 1000 })).toEqual({ holder: 'h', ttlMs: 1000 });
    expect(parseLease('h')).toBe('lease: expected an object');
    expect(parseLease({ holder: '', ttlMs: 1 })).toBe('lease.holder: expected a string');
    expect(parseLease({ holder: 'h', ttlMs: 0 })).toMatch(/^lease.ttlMs:/);
    expect(parseLease({ holder: 'h', ttlMs: 1, x: 1 })).toBe('lease: unknown key "x"');
  });

  it('reads a leased registry entry, and a bad lease as a malformed entry', () => {
    const raw = JSON.stringify({ url: 'http://127.0.0.1:4100', lease: { holder: 'h', ttlMs: 1000 } });
    expect(parseRegistryEntry('a', raw)).toEqual({ ...web('a'), lease: { holder: 'h', ttlMs: 1000 } });
    const bad = JSON.stringify({ url: 'http://127.0.0.1:4100', lease: { holder: 'h' } });
    expect(parseRegistryEntry('a', bad)).toMatchObject({ id: 'a', reason: expect.stringMatching(/^lease.ttlMs/) });
  });

  it('splits a read into live and lapsed entries, with the time to the first expiry', () => {
    const registry = {
      backends: [web('ops'), { ...web('a'), lease: lease('h') }, { ...web('b'), lease: lease('h') }],
      malformed: [],
    };
    const split = liveRegistry(registry, new Map([['b', 1_200]]));
    expect(split.live.backends.map(({ id }) => id)).toEqual(['ops', 'b']);
    expect(split.lapsed).toEqual(['a']);
    expect(split.nextExpiryMs).toBe(1_200);
    expect(liveRegistry({ backends: [web('ops')], malformed: [] }, new Map()).nextExpiryMs).toBeUndefined();
  });
});

describe('RegistrySync with leased entries', () => {
  let memory: MemoryStateStore;
  let fake: Instrumented;
  let sync: RegistrySync | undefined;
  let emitted: string[][];

  const start = async (): Promise<RegistrySync> => {
    const onBackends = (backends: readonly Backend[]): void => void emitted.push(backends.map(({ id }) => id));
    const tracker = new DegradedTracker(silentLog());
    sync = new RegistrySync({ store: fake.store, tracker, log: silentLog(), staticBackends: [], onBackends });
    await sync.start();
    return sync;
  };

  beforeEach(() => {
    useFakeClock();
    memory = new MemoryStateStore({ now: () => Date.now() });
    fake = instrumented(memory);
    emitted = [];
  });
  afterEach(async () => {
    await sync?.close();
    vi.useRealTimers();
  });

  it('drops a leased entry when its lease runs out unrenewed, before the next poll, and purges it', async () => {
    await memory.putBackend(web('ops'));
    await memory.leaseBackend(web('auto'), lease('h', 2_500));
    const registry = await start();
    expect(emitted).toEqual([['auto', 'ops']]);
    // The workers get plain backends: the lease stays in the control plane.
    expect(registry.backends.find(({ id }) => id === 'auto')).toEqual(web('auto'));
    await vi.advanceTimersByTimeAsync(2_000);
    expect(emitted).toEqual([['auto', 'ops']]);
    // 2.5 s: the lease ends between two polls; the expiry timer reads at once (20 ms later).
    await vi.advanceTimersByTimeAsync(530);
    expect(emitted).toEqual([['auto', 'ops'], ['ops']]);
    expect(fake.count('purgeLapsedLeases')).toBe(1);
    expect((await memory.readRegistry()).backends.map(({ id }) => id)).toEqual(['ops']);
    expect(registry.registered.map(({ id }) => id)).toEqual(['ops']);
  });

  it('keeps a leased entry its announcer renews, and re-reads at each new expiry', async () => {
    await memory.leaseBackend(web('auto'), lease('h', 3_000));
    await start();
    for (let second = 0; second < 10; second++) {
      await vi.advanceTimersByTimeAsync(1_000);
      await memory.leaseBackend(web('auto'), lease('h', 3_000));
    }
    expect(emitted).toEqual([['auto']]);
    expect(fake.count('purgeLapsedLeases')).toBe(0);
  });

  it('never re-seeds a lapsed leased entry: it is not among what the node applied', async () => {
    await memory.leaseBackend(web('auto'), lease('h', 1_000));
    const registry = await start();
    expect(registry.registered.map(({ id }) => id)).toEqual(['auto']);
    fake.failing.add('purgeLapsedLeases');
    await vi.advanceTimersByTimeAsync(1_100);
    expect(registry.registered).toEqual([]);
    expect(emitted.at(-1)).toEqual([]);
  });

  it('stops its expiry timer on close', async () => {
    await memory.leaseBackend(web('auto'), lease('h', 60_000));
    const registry = await start();
    await registry.close();
    expect(vi.getTimerCount()).toBe(0);
  });
});
