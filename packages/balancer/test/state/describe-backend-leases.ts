import { describe, expect, it } from 'vitest';
import type { StateEvent, StateStore } from '../../src/state/state-store.js';
import type { StateStoreFixture } from './describe-state-store.js';

/** Short enough to watch expire on a real clock, long enough to outlive a few commands. */
const SHORT_TTL = 300;
const LONG_TTL = 60_000;
const EXPIRY = { timeout: 5_000, interval: 25 };

const web = { id: 'web-1', url: 'http://127.0.0.1:4100', weight: 2, state: 'active' } as const;
const mine = { holder: 'announcer-a', ttlMs: LONG_TTL };
const theirs = { holder: 'announcer-b', ttlMs: LONG_TTL };
const drain = { startedAt: 1_000, deadlineAt: 61_000, closeRate: 50, closeCode: 1012 };
const health = { healthy: true, since: 1, checkedBy: 'n1', streak: 3 };

/**
 * The part of the StateStore contract that leased self-registration adds (`mooring backend
 * announce`); run inside describeStateStore, on memory and on every Redis topology.
 */
export function describeBackendLeases(current: () => { fx: StateStoreFixture; store: StateStore }): void {
  const expire = (ms: number): void => current().fx.advance?.(ms);
  const events = async (store: StateStore): Promise<StateEvent[]> => {
    const seen: StateEvent[] = [];
    await store.subscribe((event) => seen.push(event));
    return seen;
  };

  describe('backend leases', () => {
    it('announces a leased entry: registered with its lease, alive, and the change announced', async () => {
      const { store, fx } = current();
      const seen = await events(await fx.peer());
      expect(await store.leaseBackend(web, mine)).toBe('created');
      await expect.poll(() => seen).toEqual([{ type: 'registry-changed' }]);
      expect((await store.readRegistry()).backends).toEqual([{ ...web, lease: mine }]);
      const left = (await store.readLeases()).get('web-1');
      expect(left).toBeGreaterThan(LONG_TTL - 5_000);
      expect(left).toBeLessThanOrEqual(LONG_TTL);
      expect([...(await store.readShared()).leases.keys()]).toEqual(['web-1']);
    });

    it('renews for its holder only, leaving the entry (a drain in progress) as it is', async () => {
      const { store } = current();
      await store.leaseBackend(web, mine);
      await store.drainBackend('web-1', drain);
      expect(await store.leaseBackend({ ...web, weight: 9 }, mine)).toBe('renewed');
      const [entry] = (await store.readRegistry()).backends;
      expect(entry).toEqual({ ...web, state: 'draining', lease: mine });
      expect((await store.readDrains()).get('web-1')).toEqual(drain);
      expect(await store.leaseBackend(web, theirs)).toBe('held');
      expect((await store.readRegistry()).backends[0]?.lease).toEqual(mine);
    });

    it("never overwrites an operator's entry, and changes nothing", async () => {
      const { store } = current();
      await store.putBackend({ ...web, url: 'http://127.0.0.1:4200' });
      expect(await store.leaseBackend(web, mine)).toBe('operator');
      expect((await store.readRegistry()).backends).toEqual([{ ...web, url: 'http://127.0.0.1:4200' }]);
      expect(await store.readLeases()).toEqual(new Map());
      expect(await store.releaseBackendLease('web-1', mine.holder)).toBe(false);
      expect(await store.purgeLapsedLeases(['web-1'])).toEqual([]);
      expect((await store.readRegistry()).backends).toHaveLength(1);
    });

    it("refuses an operator's write over a live lease, and takes over a lapsed one", async () => {
      const { store } = current();
      await store.leaseBackend(web, { ...mine, ttlMs: SHORT_TTL });
      expect(await store.putBackend({ ...web, weight: 5 })).toBe(false);
      expect((await store.readRegistry()).backends).toEqual([{ ...web, lease: { ...mine, ttlMs: SHORT_TTL } }]);
      expire(SHORT_TTL + 1);
      await expect.poll(() => store.putBackend({ ...web, weight: 5 }), EXPIRY).toBe(true);
      expect((await store.readRegistry()).backends).toEqual([{ ...web, weight: 5 }]);
      expect(await store.leaseBackend(web, mine)).toBe('operator');
    });

    it("passes to another announcer once the holder's lease lapsed", async () => {
      const { store } = current();
      await store.leaseBackend(web, { ...mine, ttlMs: SHORT_TTL });
      await store.drainBackend('web-1', drain);
      expect(await store.leaseBackend(web, theirs)).toBe('held');
      expire(SHORT_TTL + 1);
      await expect.poll(() => store.leaseBackend(web, theirs), EXPIRY).toBe('created');
      expect((await store.readRegistry()).backends).toEqual([{ ...web, lease: theirs }]);
      expect(await store.readDrains()).toEqual(new Map());
    });

    it('releases for its holder only: entry, lease, drain and health go together', async () => {
      const { store } = current();
      await store.leaseBackend(web, mine);
      await store.drainBackend('web-1', drain);
      await store.writeHealth(new Map([['web-1', health]]));
      expect(await store.releaseBackendLease('web-1', theirs.holder)).toBe(false);
      expect(await store.releaseBackendLease('web-1', mine.holder)).toBe(true);
      expect((await store.readRegistry()).backends).toEqual([]);
      expect(await store.readDrains()).toEqual(new Map());
      expect(await store.readHealth()).toEqual(new Map());
      expect(await store.readLeases()).toEqual(new Map());
    });

    it('purges a lapsed leased entry once, never a live one, and announces it', async () => {
      const { store, fx } = current();
      await store.leaseBackend(web, { ...mine, ttlMs: SHORT_TTL });
      await store.leaseBackend({ ...web, id: 'web-2' }, mine);
      expect(await store.purgeLapsedLeases(['web-1', 'web-2'])).toEqual([]);
      expire(SHORT_TTL + 1);
      await expect.poll(async () => [...(await store.readLeases()).keys()], EXPIRY).toEqual(['web-2']);
      expect([...(await store.readShared()).leases.keys()]).toEqual(['web-2']);
      const seen = await events(await fx.peer());
      expect(await store.purgeLapsedLeases(['web-1', 'web-2', 'absent'])).toEqual(['web-1']);
      await expect.poll(() => seen).toEqual([{ type: 'registry-changed' }]);
      expect(await store.purgeLapsedLeases(['web-1'])).toEqual([]);
      expect((await store.readRegistry()).backends.map(({ id }) => id)).toEqual(['web-2']);
    });

    it('renews a lapsed lease of its own holder (not yet purged) and announces its return', async () => {
      const { store, fx } = current();
      await store.leaseBackend(web, { ...mine, ttlMs: SHORT_TTL });
      expire(SHORT_TTL + 1);
      await expect.poll(async () => (await store.readLeases()).size, EXPIRY).toBe(0);
      const seen = await events(await fx.peer());
      expect(await store.leaseBackend(web, mine)).toBe('renewed');
      await expect.poll(() => seen).toEqual([{ type: 'registry-changed' }]);
      expect((await store.readLeases()).has('web-1')).toBe(true);
    });

    it('removes the lease with the entry: the announcer then registers it afresh', async () => {
      const { store } = current();
      await store.leaseBackend(web, mine);
      expect(await store.removeBackend('web-1')).toBe(true);
      expect(await store.readLeases()).toEqual(new Map());
      expect(await store.leaseBackend(web, mine)).toBe('created');
    });

    it('re-seeds a leased backend with its lease for one TTL, never for good', async () => {
      const { store, fx } = current();
      await store.leaseBackend(web, { ...mine, ttlMs: SHORT_TTL * 2 });
      const [leased] = (await store.readRegistry()).backends;
      await fx.wipe();
      const next = { id: 'm2', by: 'n1', at: 1, reseeded: true, covers: [] };
      const seed = { backends: [leased!], drains: new Map(), health: new Map() };
      expect(await store.reseed(seed, next, undefined)).toBe(true);
      expect((await store.readRegistry()).backends).toEqual([leased]);
      expect((await store.readLeases()).has('web-1')).toBe(true);
      expire(SHORT_TTL * 2 + 1);
      await expect.poll(async () => (await store.readLeases()).size, EXPIRY).toBe(0);
      expect(await store.purgeLapsedLeases(['web-1'])).toEqual(['web-1']);
    });
  });
}
