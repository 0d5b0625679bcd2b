import { beforeEach, describe, expect, it } from 'vitest';
import { judgeMarker, reseedLeaseName, StateRecovery } from '../../src/control-plane/state-recovery.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import type { StateMarker, StateSeed } from '../../src/state/state-store.js';
import { backend, recordingLog } from './fakes.js';

const marker = (id: string, covers: string[] = [], extra: Partial<StateMarker> = {}): StateMarker => ({
  id,
  by: 'n0',
  at: 0,
  reseeded: covers.length > 0,
  covers,
  ...extra,
});

describe('judgeMarker', () => {
  it.each([
    ['no marker, none known: a fresh store', undefined, undefined, 'unmarked'],
    ['the first marker seen', undefined, marker('m1'), 'adopted'],
    ['the known marker', marker('m1'), marker('m1'), 'known'],
    ['a re-seed of the known state', marker('m1'), marker('m2', ['m1']), 'adopted'],
    ['no marker where one was known', marker('m1'), undefined, 'lost'],
    ['a marker that does not descend from the known one', marker('m1'), marker('m9', ['m8']), 'lost'],
  ] as const)('%s: %s', (_what, known, read, verdict) => {
    expect(judgeMarker(known, read)).toBe(verdict);
  });
});

describe('StateRecovery', () => {
  let memory: MemoryStateStore;
  let ids: number;
  let logs: ReturnType<typeof recordingLog>;
  const seeds = new Map<string, StateSeed>();

  /** A node's recovery on the shared store, re-seeding from what `seeds` says it applied. */
  const node = (nodeId: string): StateRecovery =>
    new StateRecovery({
      store: new MemoryStateStore({ shareWith: memory }),
      log: logs.log.child({ node: nodeId }),
      nodeId,
      now: () => 1_000,
      newId: () => `m${++ids}`,
      seed: () => seeds.get(nodeId) ?? { backends: [], drains: new Map(), health: new Map() },
    });
  const markerNow = async (): Promise<StateMarker | undefined> => (await memory.readShared()).marker;
  const registered = async (): Promise<string[]> => (await memory.readRegistry()).backends.map(({ id }) => id);
  const lines = (msg: RegExp): unknown[] => logs.lines.filter((line) => msg.test(String(line.msg)));

  beforeEach(() => {
    memory = new MemoryStateStore();
    ids = 0;
    logs = recordingLog();
    seeds.clear();
  });

  it('marks a fresh store once: every node agrees on the first marker claimed', async () => {
    const [a, b] = [node('a'), node('b')];
    expect(await a.admit(undefined)).toBe(true);
    expect(await b.admit(undefined)).toBe(true); // read before a's claim landed: claims, and gets a's
    expect(a.known).toEqual({ id: 'm1', by: 'a', at: 1_000, reseeded: false, covers: [] });
    expect(b.known).toEqual(a.known);
    expect(await markerNow()).toEqual(a.known);
    expect(await node('c').admit(await markerNow())).toBe(true);
  });

  it('re-seeds a store that lost its marker once, from the first node under the lease; the others adopt it', async () => {
    const drain = { startedAt: 1, deadlineAt: 2, closeRate: 3, closeCode: 1012 };
    const health = { healthy: false, since: 1, checkedBy: 'a', streak: 3 };
    const seed = {
      backends: [backend('r1'), backend('r2', 'draining')],
      drains: new Map([['r2', drain]]),
      health: new Map([['r1', health]]),
    };
    seeds.set('a', seed).set('b', { ...seed, backends: [backend('stale')] });
    const [a, b] = [node('a'), node('b')];
    await a.admit(undefined);
    await b.admit(await markerNow());
    memory.clear(); // Redis restarted without persistence

    // b read the empty store while a held the lease (a's re-seed in progress): b writes nothing.
    const lease = new MemoryStateStore({ shareWith: memory });
    expect(await lease.acquireLease(reseedLeaseName, 'a', 10_000)).toBe(true);
    expect(await b.admit(undefined)).toBe(false);
    expect(await registered()).toEqual([]);
    await lease.releaseLease(reseedLeaseName, 'a');

    expect(await a.admit(undefined)).toBe(false); // not applied: the read was of the emptied store
    expect(await registered()).toEqual(['r1', 'r2']);
    expect(await memory.readDrains()).toEqual(new Map([['r2', drain]]));
    expect(await memory.readHealth()).toEqual(new Map([['r1', health]]));
    expect(a.known).toMatchObject({ by: 'a', reseeded: true, covers: ['m1'] });
    expect(await memory.acquireLease(reseedLeaseName, 'x', 1)).toBe(true); // a released it
    await memory.releaseLease(reseedLeaseName, 'x');

    // b's next read finds the marker back and takes it, writing nothing.
    expect(await b.admit(await markerNow())).toBe(true);
    expect(b.known).toEqual(a.known);
    expect(await registered()).toEqual(['r1', 'r2']);
    expect([a.reseeds, b.reseeds]).toEqual([1, 0]);
    expect(lines(/^shared state lost; re-seeded from node a$/)).toHaveLength(1);
    expect(lines(/^shared state lost/)).toHaveLength(1);
    expect(lines(/^shared state was re-seeded by node a$/)).toHaveLength(1);
  });

  it('never undoes an operator deletion: the marker stays, so nothing is re-seeded', async () => {
    seeds.set('a', { backends: [backend('r1'), backend('gone')], drains: new Map(), health: new Map() });
    const a = node('a');
    await memory.putBackend(backend('r1'));
    await memory.putBackend(backend('gone'));
    await a.admit(undefined);
    await memory.removeBackend('gone'); // `mooring backend remove`, or a raw HDEL
    expect(await a.admit(await markerNow())).toBe(true);
    expect(await registered()).toEqual(['r1']);
    expect(a.reseeds).toBe(0);
  });

  it('covers the marker of a node that started after the loss, and the line of earlier re-seeds', async () => {
    seeds.set('a', { backends: [backend('r1')], drains: new Map(), health: new Map() });
    const [a, old] = [node('a'), node('old')];
    await a.admit(undefined); // m1
    await old.admit(await markerNow());
    memory.clear();
    const late = node('late');
    await late.admit(undefined); // m2: to the late node the emptied store looks fresh
    await memory.putBackend(backend('new')); // registered after the loss: kept
    expect(await a.admit(await markerNow())).toBe(false); // m2 does not descend from m1: re-seeded (m3)
    expect(await registered()).toEqual(['new', 'r1']);
    expect(await late.admit(await markerNow())).toBe(true);
    memory.clear();
    expect(await a.admit(undefined)).toBe(false); // m4, covering m3 and what m3 covered
    // A node cut off since m1 comes back after two losses: it adopts, it does not re-seed its old view.
    expect(await old.admit(await markerNow())).toBe(true);
    expect(old.known?.covers).toEqual(['m3', 'm1', 'm2']);
    expect([a.reseeds, old.reseeds, late.reseeds]).toEqual([2, 0, 0]);
  });
});
