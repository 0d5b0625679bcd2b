import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../src/core/backend.js';
import { DegradedTracker } from '../../src/control-plane/degraded-tracker.js';
import { RegistrySync } from '../../src/control-plane/registry-sync.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import type { StateEvent, StateStore } from '../../src/state/state-store.js';
import { backend, instrumented, nextMacrotask, silentLog, useFakeClock, type Instrumented } from './fakes.js';

/** The same store, whose subscription hears nothing: changes then arrive by polling only. */
function deaf(store: StateStore): StateStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'subscribe') return async () => async () => {};
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

describe('RegistrySync', () => {
  let memory: MemoryStateStore;
  let peer: MemoryStateStore;
  let fake: Instrumented;
  let sync: RegistrySync | undefined;
  let emitted: string[][];
  let events: StateEvent[];

  const newSync = (store: StateStore = fake.store, staticBackends: Backend[] = [backend('s')]): RegistrySync => {
    const tracker = new DegradedTracker(silentLog());
    const onBackends = (backends: readonly Backend[]): void => void emitted.push(backends.map(({ id }) => id));
    const onEvent = (event: StateEvent): void => void events.push(event);
    sync = new RegistrySync({ store, tracker, log: silentLog(), staticBackends, onBackends, onEvent });
    return sync;
  };

  beforeEach(() => {
    useFakeClock();
    memory = new MemoryStateStore();
    peer = new MemoryStateStore({ shareWith: memory });
    fake = instrumented(memory);
    emitted = [];
    events = [];
  });
  afterEach(async () => {
    await sync?.close();
    vi.useRealTimers();
  });

  it('merges the registry over the static backends at start, and reads the drains', async () => {
    await peer.putBackend({ ...backend('s'), url: 'http://10.0.0.1:81' });
    await peer.putBackend(backend('a'));
    const drain = { startedAt: 1, deadlineAt: 2, closeRate: 10, closeCode: 1012 };
    await peer.drainBackend('a', drain);
    const registry = newSync();
    expect(registry.backends).toEqual([backend('s')]); // before the first read: the static list
    await registry.start();
    expect(emitted).toEqual([['a', 's']]);
    expect(registry.backends.find(({ id }) => id === 's')?.url).toBe('http://10.0.0.1:81');
    expect(registry.backends.find(({ id }) => id === 'a')?.state).toBe('draining');
    expect([...registry.drains]).toEqual([['a', drain]]);
  });

  it('follows an announced change at once, without waiting for the poll', async () => {
    await newSync().start();
    await peer.putBackend(backend('b'));
    await nextMacrotask();
    expect(emitted).toEqual([['s'], ['b', 's']]);
  });

  it('picks up an unannounced change (raw HSET) at the next 1 s poll, and emits only changes', async () => {
    await newSync(deaf(fake.store)).start();
    await peer.putBackend(backend('b'));
    await vi.advanceTimersByTimeAsync(999);
    expect(emitted).toEqual([['s']]);
    await vi.advanceTimersByTimeAsync(1);
    expect(emitted).toEqual([['s'], ['b', 's']]);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(emitted).toHaveLength(2);
    expect(fake.count('readShared')).toBe(7);
  });

  it('merges new static backends at once (SIGHUP)', async () => {
    const registry = newSync();
    await registry.start();
    await registry.setStatic([backend('s'), backend('t')]);
    expect(emitted).toEqual([['s'], ['s', 't']]);
  });

  it('hands the other events of its subscription on', async () => {
    await newSync().start();
    await peer.publish({ type: 'health-changed' });
    await peer.publish({ type: 'passive-failure', backend: 'a', node: 'n2' });
    await nextMacrotask();
    expect(events.map((event) => event.type)).toEqual(['health-changed', 'passive-failure']);
  });

  it('subscribes again on resync when the store was away at start', async () => {
    fake.failing.add('subscribe');
    const registry = newSync();
    await registry.start();
    fake.failing.clear();
    await registry.resync();
    await nextMacrotask();
    expect(fake.count('subscribe')).toBe(2);
    await peer.putBackend(backend('b'));
    await nextMacrotask();
    expect(emitted.at(-1)).toEqual(['b', 's']);
    await registry.resync(); // subscribed: no third subscription
    expect(fake.count('subscribe')).toBe(2);
  });

  it('close() unsubscribes and stops polling; close during start leaves nothing either', async () => {
    const registry = newSync();
    await registry.start();
    await registry.close();
    const reads = fake.count('readShared');
    await peer.putBackend(backend('b'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(fake.count('readShared')).toBe(reads);
    expect(vi.getTimerCount()).toBe(0);

    const early = newSync();
    const starting = early.start();
    await early.close();
    await starting;
    await peer.putBackend(backend('c'));
    await vi.advanceTimersByTimeAsync(5_000);
    expect(vi.getTimerCount()).toBe(0);
    expect(early.state).toBe('closed');
  });
});
