import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ConnectionRecord } from '../../src/core/session-record.js';
import type {
  HealthRecord,
  NodeInfo,
  RebalanceRecord,
  StateEvent,
  StateMarker,
  StateSeed,
  StateStore,
} from '../../src/state/state-store.js';
import { describeBackendLeases } from './describe-backend-leases.js';

/** One store under test, on a fresh, private state (its own key prefix for Redis). */
export interface StateStoreFixture {
  readonly store: StateStore;
  /** Another store on the same shared state: another node of the same cluster. */
  peer(): Promise<StateStore>;
  /** Moves the injected clock forward; absent when TTLs run on a real clock (Redis). */
  advance?(ms: number): void;
  /** Loses everything this cluster stored, as a Redis restarted without persistence would. */
  wipe(): Promise<void>;
  /** Closes every store the fixture made. */
  cleanup(): Promise<void>;
}

/** Short enough to watch expire on a real clock, long enough to outlive a few commands. */
const SHORT_TTL = 300;
/** Never expires during a test. */
const LONG_TTL = 60_000;
/** How long to poll for something a short TTL makes happen. */
const EXPIRY = { timeout: 5_000, interval: 25 };

export function nodeInfo(id: string, extra: Partial<NodeInfo> = {}): NodeInfo {
  return { id, startedAt: 1_700_000_000_000, pid: 4242, listen: '0.0.0.0:8080', admin: '127.0.0.1:9090', ...extra };
}

export function connection(
  id: string,
  backend: string,
  node: string,
  extra: Partial<ConnectionRecord> = {},
): ConnectionRecord {
  return {
    id,
    node,
    backend,
    worker: 1,
    client: '203.0.113.7',
    route: 'balance',
    startedAt: 1_700_000_000_000,
    ...extra,
  };
}

function health(healthy: boolean, streak = 3): HealthRecord {
  return { healthy, since: 1_700_000_000_000, checkedBy: 'n1', streak };
}

/** Records every event a store delivers to one subscription. */
async function record(store: StateStore): Promise<{ events: StateEvent[]; unsubscribe: () => Promise<void> }> {
  const events: StateEvent[] = [];
  const unsubscribe = await store.subscribe((event) => events.push(event));
  return { events, unsubscribe };
}

const counts = (map: ReadonlyMap<string, number>): Record<string, number> => Object.fromEntries(map);
const perNode = (map: ReadonlyMap<string, ReadonlyMap<string, number>>): Record<string, Record<string, number>> =>
  Object.fromEntries([...map].map(([node, byBackend]) => [node, counts(byBackend)]));
const ids = (list: readonly { id: string }[]): string[] => list.map((entry) => entry.id);

export function marker(id: string, extra: Partial<StateMarker> = {}): StateMarker {
  return { id, by: 'n1', at: 1_700_000_000_000, reseeded: false, covers: [], ...extra };
}

/**
 * The contract every StateStore meets (STYLE "A StateStore interface … both pass one shared
 * contract test suite"). TTLs are exercised with a short TTL and polling, and `advance` moves
 * an injected clock when there is one, so the same test runs on memory and on Redis.
 */
export function describeStateStore(name: string, makeStore: () => Promise<StateStoreFixture>): void {
  describe(`${name} (StateStore contract)`, () => {
    let fx: StateStoreFixture;
    let store: StateStore;
    const expire = (ms: number): void => fx.advance?.(ms);

    beforeEach(async () => {
      fx = await makeStore();
      store = fx.store;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    describe('registry', () => {
      it('starts empty', async () => {
        expect(await store.readRegistry()).toEqual({ backends: [], malformed: [] });
      });

      it('puts, replaces and removes backends, normalizing URLs, in id order', async () => {
        await store.putBackend({ id: 'b', url: 'http://127.0.0.1:3002/', weight: 1, state: 'active' });
        await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 3, state: 'draining' });
        await store.putBackend({ id: 'b', url: 'http://127.0.0.1:3012', weight: 2, state: 'active' });
        const peer = await fx.peer();
        expect((await peer.readRegistry()).backends).toEqual([
          { id: 'a', url: 'http://127.0.0.1:3001', weight: 3, state: 'draining' },
          { id: 'b', url: 'http://127.0.0.1:3012', weight: 2, state: 'active' },
        ]);
        expect(await peer.removeBackend('a')).toBe(true);
        expect(await store.removeBackend('a')).toBe(false);
        expect(ids((await store.readRegistry()).backends)).toEqual(['b']);
      });

      it.each([
        {
          what: 'a URL with a path',
          backend: { id: 'x', url: 'http://127.0.0.1:1/app', weight: 1, state: 'active' as const },
        },
        { what: 'a non-http URL', backend: { id: 'x', url: 'ftp://127.0.0.1:1', weight: 1, state: 'active' as const } },
        { what: 'weight 0', backend: { id: 'x', url: 'http://127.0.0.1:1', weight: 0, state: 'active' as const } },
        {
          what: 'an invalid id',
          backend: { id: 'no spaces', url: 'http://127.0.0.1:1', weight: 1, state: 'active' as const },
        },
      ])('refuses to write $what', async ({ backend }) => {
        await expect(store.putBackend(backend)).rejects.toMatchObject({ code: 'MOORING_ERR_STATE_INVALID_BACKEND' });
        expect(await store.readRegistry()).toEqual({ backends: [], malformed: [] });
      });

      it('announces registry changes to every node', async () => {
        const peer = await fx.peer();
        const { events } = await record(peer);
        await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
        await expect.poll(() => events).toEqual([{ type: 'registry-changed' }]);
        await store.removeBackend('a');
        await expect.poll(() => events).toHaveLength(2);
      });
    });

    describe('drains', () => {
      const drain = { startedAt: 1_000, deadlineAt: 61_000, closeRate: 50, closeCode: 1012 };
      const backendA = { id: 'a', url: 'http://127.0.0.1:3001', weight: 2, state: 'active' as const };

      /**
       * Every event a peer receives between two markers published before and after the call:
       * events of one publisher arrive in order, so nothing announced before the first can come
       * after it (on a Redis Cluster an event published just before a SUBSCRIBE may still be on its
       * way between nodes), and nothing the call announced can still come after the second.
       */
      async function eventsOf(call: () => Promise<unknown>): Promise<StateEvent[]> {
        const peer = await fx.peer();
        const { events, unsubscribe } = await record(peer);
        const before: StateEvent = { type: 'passive-failure', backend: 'before', node: 'test' };
        const after: StateEvent = { type: 'passive-failure', backend: 'after', node: 'test' };
        await store.publish(before);
        await expect.poll(() => events.at(-1)).toEqual(before);
        await call();
        await store.publish(after);
        await expect.poll(() => events.at(-1)).toEqual(after);
        await unsubscribe();
        const start = events.findIndex((event) => event.type === 'passive-failure' && event.backend === 'before');
        return events.slice(start + 1, -1);
      }

      it('starts a drain in one step: state draining, terms recorded, one announcement', async () => {
        await store.putBackend(backendA);
        let recorded: unknown;
        const events = await eventsOf(async () => (recorded = await store.drainBackend('a', drain)));
        expect(recorded).toEqual(drain);
        expect(events).toEqual([{ type: 'registry-changed' }]);
        const peer = await fx.peer();
        expect((await peer.readRegistry()).backends).toEqual([{ ...backendA, state: 'draining' }]);
        expect(await peer.readDrains()).toEqual(new Map([['a', drain]]));
      });

      it('keeps the start of a drain in progress and takes the new terms', async () => {
        await store.putBackend(backendA);
        await store.drainBackend('a', drain);
        const again = { startedAt: 5_000, deadlineAt: 9_000, closeRate: 10, closeCode: 1001 };
        expect(await store.drainBackend('a', again)).toEqual({ ...again, startedAt: drain.startedAt });
        expect(await store.readDrains()).toEqual(new Map([['a', { ...again, startedAt: drain.startedAt }]]));
        expect((await store.readRegistry()).backends).toEqual([{ ...backendA, state: 'draining' }]);
      });

      it('ends a drain in one step: state active, terms gone, one announcement', async () => {
        await store.putBackend(backendA);
        await store.drainBackend('a', drain);
        let undrained: unknown;
        const events = await eventsOf(async () => (undrained = await store.undrainBackend('a')));
        expect(undrained).toBe(true);
        expect(events).toEqual([{ type: 'registry-changed' }]);
        const peer = await fx.peer();
        expect((await peer.readRegistry()).backends).toEqual([backendA]);
        expect((await peer.readDrains()).size).toBe(0);
      });

      it('neither drains nor undrains a backend that is not registered, and announces nothing', async () => {
        let outcome: unknown[] = [];
        const events = await eventsOf(async () => {
          outcome = [await store.drainBackend('nope', drain), await store.undrainBackend('nope')];
        });
        expect(outcome).toEqual([undefined, false]);
        expect(events).toEqual([]);
        expect(await store.readRegistry()).toEqual({ backends: [], malformed: [] });
        expect((await store.readDrains()).size).toBe(0);
      });

      it('removing the backend removes its drain', async () => {
        await store.putBackend(backendA);
        await store.drainBackend('a', drain);
        await store.removeBackend('a');
        expect((await (await fx.peer()).readDrains()).size).toBe(0);
      });
    });

    describe('nodes', () => {
      it('lists heartbeating nodes with their last heartbeat, in id order', async () => {
        await store.heartbeat(nodeInfo('n2'), LONG_TTL);
        const peer = await fx.peer();
        await peer.heartbeat(nodeInfo('n1', { degraded: true }), LONG_TTL);
        const nodes = await store.listNodes();
        expect(ids(nodes)).toEqual(['n1', 'n2']);
        expect(nodes[0]).toMatchObject({ ...nodeInfo('n1'), degraded: true });
        expect(nodes[0]?.heartbeatAt).toEqual(expect.any(Number));
      });

      it('forgets a node whose heartbeat expired, and keeps one that heartbeated again', async () => {
        await store.heartbeat(nodeInfo('gone'), SHORT_TTL);
        await store.heartbeat(nodeInfo('kept'), SHORT_TTL);
        await store.heartbeat(nodeInfo('kept'), LONG_TTL);
        expire(SHORT_TTL + 1);
        await expect.poll(async () => ids(await store.listNodes()), EXPIRY).toEqual(['kept']);
      });

      it('says whether a heartbeat continued a live registration or started one (first, or after expiry)', async () => {
        expect(await store.heartbeat(nodeInfo('n1'), SHORT_TTL)).toBe(false);
        expect(await store.heartbeat(nodeInfo('n1'), SHORT_TTL)).toBe(true);
        expire(SHORT_TTL + 1);
        await expect.poll(async () => ids(await store.listNodes()), EXPIRY).toEqual([]);
        expect(await store.heartbeat(nodeInfo('n1'), LONG_TTL)).toBe(false);
      });

      it('removes a node and its connections at once', async () => {
        await store.heartbeat(nodeInfo('n1'), LONG_TTL);
        await store.recordConnections('n1', [connection('s1', 'a', 'n1')], []);
        await store.removeNode('n1');
        expect(await store.listNodes()).toEqual([]);
        expect(await store.listConnections()).toEqual([]);
        // Coming back starts from an empty table.
        await store.heartbeat(nodeInfo('n1'), LONG_TTL);
        expect(counts((await store.liveCounts()).total)).toEqual({});
      });
    });

    describe('connection table', () => {
      beforeEach(async () => {
        await store.heartbeat(nodeInfo('n1'), LONG_TTL);
        await store.heartbeat(nodeInfo('n2'), LONG_TTL);
      });

      it('records batches, lists them in (node, id) order with filters, and counts them', async () => {
        await store.recordConnections('n2', [connection('s3', 'a', 'n2', { route: 'cookie', worker: 2 })], []);
        await store.recordConnections('n1', [connection('s2', 'b', 'n1'), connection('s1', 'a', 'n1')], []);
        const peer = await fx.peer();
        expect(await peer.listConnections()).toEqual([
          connection('s1', 'a', 'n1'),
          connection('s2', 'b', 'n1'),
          connection('s3', 'a', 'n2', { route: 'cookie', worker: 2 }),
        ]);
        expect(ids(await peer.listConnections({ backend: 'a' }))).toEqual(['s1', 's3']);
        expect(ids(await peer.listConnections({ node: 'n1' }))).toEqual(['s1', 's2']);
        expect(ids(await peer.listConnections({ node: 'n1', backend: 'b' }))).toEqual(['s2']);
        const live = await peer.liveCounts();
        expect(counts(live.total)).toEqual({ a: 2, b: 1 });
        expect(perNode(live.perNode)).toEqual({ n1: { a: 1, b: 1 }, n2: { a: 1 } });
      });

      it('closes idempotently: an unknown or twice-closed id never pushes a count below zero', async () => {
        await store.recordConnections(
          'n1',
          [connection('s1', 'a', 'n1'), connection('s2', 'a', 'n1')],
          ['never-opened'],
        );
        await store.recordConnections('n1', [], ['s1']);
        await store.recordConnections('n1', [], ['s1', 's1', 'never-opened']);
        expect(perNode((await store.liveCounts()).perNode)).toEqual({ n1: { a: 1 }, n2: {} });
        await store.recordConnections('n1', [], ['s2']);
        await store.recordConnections('n1', [connection('s4', 'a', 'n1')], []);
        expect(perNode((await store.liveCounts()).perNode)).toEqual({ n1: { a: 1 }, n2: {} });
      });

      it('applies opened before closed within one batch, and moves a re-opened id', async () => {
        await store.recordConnections('n1', [connection('brief', 'a', 'n1')], ['brief']);
        await store.recordConnections('n1', [connection('s1', 'a', 'n1')], []);
        await store.recordConnections('n1', [connection('s1', 'b', 'n1')], []);
        expect(await store.listConnections()).toEqual([connection('s1', 'b', 'n1')]);
        expect(counts((await store.liveCounts()).total)).toEqual({ b: 1 });
      });

      it('replaces a whole table, counts included, leaving other nodes alone', async () => {
        await store.recordConnections('n1', [connection('old', 'a', 'n1')], []);
        await store.recordConnections('n2', [connection('other', 'a', 'n2')], []);
        await store.replaceConnections('n1', [
          connection('x', 'b', 'n1'),
          connection('y', 'b', 'n1'),
          connection('z', 'c', 'n1'),
        ]);
        expect(ids(await store.listConnections({ node: 'n1' }))).toEqual(['x', 'y', 'z']);
        expect(perNode((await store.liveCounts()).perNode)).toEqual({ n1: { b: 2, c: 1 }, n2: { a: 1 } });
        await store.replaceConnections('n1', []);
        expect(perNode((await store.liveCounts()).perNode)).toEqual({ n1: {}, n2: { a: 1 } });
      });

      it("stops counting a dead node's sessions once its heartbeat expires", async () => {
        await store.recordConnections('n1', [connection('s1', 'a', 'n1')], []);
        await store.recordConnections('n2', [connection('s2', 'a', 'n2'), connection('s3', 'b', 'n2')], []);
        expect(counts((await store.liveCounts()).total)).toEqual({ a: 2, b: 1 });
        await store.heartbeat(nodeInfo('n2'), SHORT_TTL);
        expire(SHORT_TTL + 1);
        await expect.poll(async () => perNode((await store.liveCounts()).perNode), EXPIRY).toEqual({ n1: { a: 1 } });
        expect(counts((await store.liveCounts()).total)).toEqual({ a: 1 });
        expect(ids(await store.listConnections())).toEqual(['s1']);
      });

      it("keeps a node's sessions as long as it heartbeats", async () => {
        await store.heartbeat(nodeInfo('n2'), SHORT_TTL);
        await store.recordConnections('n2', [connection('s2', 'a', 'n2')], []);
        // A witness that expires after n2's first TTL would have: once it is gone, n2's table would be too.
        await store.heartbeat(nodeInfo('witness'), SHORT_TTL);
        await store.heartbeat(nodeInfo('n2'), LONG_TTL);
        expire(SHORT_TTL + 1);
        await expect.poll(async () => ids(await store.listNodes()), EXPIRY).toEqual(['n1', 'n2']);
        expect(perNode((await store.liveCounts()).perNode)).toEqual({ n1: {}, n2: { a: 1 } });
      });

      it('does not count sessions of a node that has not heartbeated, until it does', async () => {
        await store.recordConnections('n3', [connection('s9', 'a', 'n3')], []);
        expect(await store.listConnections()).toEqual([]);
        expect(counts((await store.liveCounts()).total)).toEqual({});
        await store.heartbeat(nodeInfo('n3'), LONG_TTL);
        expect(counts((await store.liveCounts()).total)).toEqual({ a: 1 });
      });
    });

    describe('leases', () => {
      it('is held by one holder at a time, renewed by it, and released only by it', async () => {
        const peer = await fx.peer();
        expect(await store.acquireLease('health', 'n1', LONG_TTL)).toBe(true);
        expect(await peer.acquireLease('health', 'n2', LONG_TTL)).toBe(false);
        expect(await store.acquireLease('health', 'n1', LONG_TTL)).toBe(true);
        await peer.releaseLease('health', 'n2');
        expect(await peer.acquireLease('health', 'n2', LONG_TTL)).toBe(false);
        await store.releaseLease('health', 'n1');
        expect(await peer.acquireLease('health', 'n2', LONG_TTL)).toBe(true);
        expect(await store.acquireLease('other', 'n1', LONG_TTL)).toBe(true);
      });

      it('passes to another holder once it expires unrenewed', async () => {
        expect(await store.acquireLease('health', 'n1', SHORT_TTL)).toBe(true);
        expire(SHORT_TTL + 1);
        await expect.poll(() => store.acquireLease('health', 'n2', LONG_TTL), EXPIRY).toBe(true);
        expect(await store.acquireLease('health', 'n1', LONG_TTL)).toBe(false);
      });

      it('lasts for the renewed TTL', async () => {
        expect(await store.acquireLease('health', 'n1', SHORT_TTL)).toBe(true);
        expect(await store.acquireLease('witness', 'w', SHORT_TTL)).toBe(true);
        expect(await store.acquireLease('health', 'n1', LONG_TTL)).toBe(true);
        expire(SHORT_TTL + 1);
        await expect.poll(() => store.acquireLease('witness', 'other', LONG_TTL), EXPIRY).toBe(true);
        expect(await store.acquireLease('health', 'n2', LONG_TTL)).toBe(false);
      });
    });

    describe('health', () => {
      it('merges written records and shares them', async () => {
        await store.writeHealth(
          new Map([
            ['a', health(true)],
            ['b', health(false, 2)],
          ]),
        );
        await store.writeHealth(new Map([['b', health(true, 1)]]));
        await store.writeHealth(new Map());
        const peer = await fx.peer();
        expect(await peer.readHealth()).toEqual(
          new Map([
            ['a', health(true)],
            ['b', health(true, 1)],
          ]),
        );
      });

      it("drops a backend's health with the backend", async () => {
        await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
        await store.writeHealth(
          new Map([
            ['a', health(false)],
            ['b', health(true)],
          ]),
        );
        await store.removeBackend('a');
        expect([...(await store.readHealth()).keys()]).toEqual(['b']);
      });
    });

    describe('marker and re-seed', () => {
      const a = { id: 'a', url: 'http://127.0.0.1:3001', weight: 2, state: 'active' as const };
      const b = { id: 'b', url: 'http://127.0.0.1:3002', weight: 1, state: 'draining' as const };
      const drain = { startedAt: 1_000, deadlineAt: 61_000, closeRate: 50, closeCode: 1012 };
      const seed: StateSeed = {
        backends: [a, b],
        drains: new Map([['b', drain]]),
        health: new Map([
          ['a', health(false)],
          ['b', health(true)],
        ]),
      };

      it('has no marker until one is claimed; the first claim wins and later ones get it back', async () => {
        expect((await store.readShared()).marker).toBeUndefined();
        expect(await store.claimMarker(marker('m1'))).toEqual(marker('m1'));
        const peer = await fx.peer();
        expect(await peer.claimMarker(marker('m2', { by: 'n2' }))).toEqual(marker('m1'));
        expect((await peer.readShared()).marker).toEqual(marker('m1'));
      });

      it('reads the registry, the drains and the marker together', async () => {
        await store.putBackend(a);
        await store.drainBackend('a', drain);
        await store.claimMarker(marker('m1'));
        expect(await (await fx.peer()).readShared()).toEqual({
          registry: { backends: [{ ...a, state: 'draining' }], malformed: [] },
          drains: new Map([['a', drain]]),
          marker: marker('m1'),
          leases: new Map(),
        });
      });

      it('forgets everything with the store, marker included', async () => {
        await store.putBackend(a);
        await store.claimMarker(marker('m1'));
        await fx.wipe();
        expect(await store.readShared()).toEqual({
          registry: { backends: [], malformed: [] },
          drains: new Map(),
          marker: undefined,
          leases: new Map(),
        });
      });

      it('re-seeds a store that lost its marker once, adding what is missing and overwriting nothing', async () => {
        await store.claimMarker(marker('m1'));
        await fx.wipe();
        const peer = await fx.peer();
        const { events } = await record(peer);
        // Written after the loss, before the re-seed: an operator's newer word, which must stay.
        await store.putBackend({ ...a, url: 'http://127.0.0.1:4001' });
        await store.writeHealth(new Map([['b', health(false, 1)]]));
        const next = marker('m2', { reseeded: true, covers: ['m1'] });
        expect(await store.reseed(seed, next, undefined)).toBe(true);
        // The re-seed's two announcements, after the putBackend's own.
        await expect
          .poll(() => events)
          .toEqual([{ type: 'registry-changed' }, { type: 'registry-changed' }, { type: 'health-changed' }]);
        expect(await peer.readShared()).toEqual({
          registry: { backends: [{ ...a, url: 'http://127.0.0.1:4001' }, b], malformed: [] },
          drains: new Map([['b', drain]]),
          marker: next,
          leases: new Map(),
        });
        expect(await peer.readHealth()).toEqual(
          new Map([
            ['a', health(false)],
            ['b', health(false, 1)],
          ]),
        );
        // A second node that saw the same loss finds the marker back and writes nothing.
        expect(await peer.reseed({ ...seed, backends: [{ ...a, id: 'late' }] }, marker('m3'), undefined)).toBe(false);
        expect(ids((await store.readRegistry()).backends)).toEqual(['a', 'b']);
        expect((await store.readShared()).marker).toEqual(next);
      });

      it('re-seeds only over the marker the caller read (a compare and set on its id)', async () => {
        await store.claimMarker(marker('fresh'));
        expect(await store.reseed(seed, marker('m2'), undefined)).toBe(false);
        expect(await store.reseed(seed, marker('m2'), 'other')).toBe(false);
        expect(await store.readRegistry()).toEqual({ backends: [], malformed: [] });
        expect(await store.reseed(seed, marker('m2', { covers: ['fresh'] }), 'fresh')).toBe(true);
        expect(ids((await store.readRegistry()).backends)).toEqual(['a', 'b']);
      });

      it('refuses to re-seed a backend other nodes would refuse', async () => {
        const bad = { ...seed, backends: [{ ...a, url: 'ftp://127.0.0.1:1' }] };
        await expect(store.reseed(bad, marker('m1'), undefined)).rejects.toMatchObject({
          code: 'MOORING_ERR_STATE_INVALID_BACKEND',
        });
        expect((await store.readShared()).marker).toBeUndefined();
      });
    });

    describeBackendLeases(() => ({ fx, store }));

    describe('rebalance progress', () => {
      const progress: RebalanceRecord = {
        state: 'running',
        startedAt: 1_000,
        updatedAt: 2_000,
        tolerance: 0.1,
        rate: 20,
        minAgeMs: 30_000,
        closed: 3,
        remaining: 39,
        backends: [{ id: 'a', live: 27, share: 15, low: 14, high: 16, move: 11 }],
      };

      it('has none until written; shares the last one written; forgets it after its TTL', async () => {
        expect(await store.readRebalance()).toBeUndefined();
        await store.writeRebalance(progress, LONG_TTL);
        const finished = { ...progress, state: 'balanced' as const, endsAt: 9_000, remaining: 0 };
        await store.writeRebalance(finished, SHORT_TTL);
        const peer = await fx.peer();
        expect(await peer.readRebalance()).toEqual(finished);
        expire(SHORT_TTL + 1);
        await expect.poll(() => peer.readRebalance(), EXPIRY).toBeUndefined();
      });

      it('delivers a rebalance event as sent', async () => {
        const peer = await fx.peer();
        const { events } = await record(peer);
        const event: StateEvent = {
          type: 'rebalance',
          holdMs: 5_000,
          code: 1012,
          closes: [{ node: 'n1', ids: ['s1'] }],
        };
        await store.publish(event);
        await expect.poll(() => events).toEqual([event]);
      });
    });

    describe('events', () => {
      it('delivers an event published by one node to every subscriber, itself included, asynchronously', async () => {
        const peer = await fx.peer();
        const mine = await record(store);
        const theirs = await record(peer);
        const event: StateEvent = { type: 'passive-failure', backend: 'a', node: 'n1' };
        const published = store.publish(event);
        expect(mine.events).toEqual([]);
        await published;
        await expect.poll(() => theirs.events).toEqual([event]);
        await expect.poll(() => mine.events).toEqual([event]);
      });

      it('keeps the order of one publisher, and stops delivering after unsubscribe', async () => {
        const peer = await fx.peer();
        const first = await record(peer);
        const second = await record(peer);
        await store.publish({ type: 'health-changed' });
        await store.publish({ type: 'registry-changed' });
        await expect.poll(() => first.events).toEqual([{ type: 'health-changed' }, { type: 'registry-changed' }]);
        await first.unsubscribe();
        await store.publish({ type: 'health-changed' });
        await expect.poll(() => second.events).toHaveLength(3);
        expect(first.events).toHaveLength(2);
      });

      it('keeps delivering to the others when one listener throws', async () => {
        await store.subscribe(() => {
          throw new Error('listener bug');
        });
        const { events } = await record(store);
        await store.publish({ type: 'health-changed' });
        await expect.poll(() => events).toEqual([{ type: 'health-changed' }]);
      });
    });

    it('rejects every call once closed', async () => {
      await store.close();
      await expect(store.readRegistry()).rejects.toMatchObject({ code: 'MOORING_ERR_STATE_CLOSED' });
      await expect(store.heartbeat(nodeInfo('n1'), LONG_TTL)).rejects.toMatchObject({
        code: 'MOORING_ERR_STATE_CLOSED',
      });
      await expect(store.subscribe(() => undefined)).rejects.toMatchObject({ code: 'MOORING_ERR_STATE_CLOSED' });
    });
  });
}
