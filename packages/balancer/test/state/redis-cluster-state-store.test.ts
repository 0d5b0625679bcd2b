import { randomUUID } from 'node:crypto';
import { startRedisCluster, type RedisCluster } from '@mooring/testkit';
import { Cluster, Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { redisKeys } from '../../src/state/redis-keys.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import type { StateEvent } from '../../src/state/state-store.js';
import { connection, describeStateStore, marker, nodeInfo } from './describe-state-store.js';
import { wipePrefix } from './redis-wipe.js';

// One Redis Cluster (3 masters, 3 replicas) for the file; each test its own prefix. The contract
// suite is the proof that no script or multi-key command of the store crosses slots: on a cluster,
// one that did would fail with CROSSSLOT (and a script touching an undeclared key would fail too).
let cluster: RedisCluster;
beforeAll(async () => {
  cluster = await startRedisCluster({ password: 'cluster-secret' });
});
afterAll(async () => {
  await cluster?.stop();
});

function rawClient(): Cluster {
  const raw = new Cluster(
    cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { password: cluster.password } },
  );
  raw.on('error', () => {});
  return raw;
}

function storeSet(prefix = `test-${randomUUID()}`) {
  const stores: RedisStateStore[] = [];
  return {
    prefix,
    async open(): Promise<RedisStateStore> {
      const store = await RedisStateStore.connect({ url: cluster.url, prefix });
      stores.push(store);
      return store;
    },
    closeAll: () => Promise.all(stores.map((store) => store.close())),
  };
}

describeStateStore('RedisStateStore (Redis Cluster)', async () => {
  const set = storeSet();
  const store = await set.open();
  const raw = rawClient();
  return {
    store,
    peer: () => set.open(),
    wipe: () => wipePrefix(raw, set.prefix),
    cleanup: async () => {
      raw.disconnect();
      await set.closeAll();
    },
  };
});

describe('RedisStateStore on a Redis Cluster', () => {
  let set: ReturnType<typeof storeSet>;
  let store: RedisStateStore;
  let raw: Cluster;
  beforeEach(async () => {
    set = storeSet();
    store = await set.open();
    raw = rawClient();
  });
  afterEach(async () => {
    raw.disconnect();
    await set.closeAll();
  });

  it('runs every operation with the registry and two nodes on three different masters', async () => {
    const keys = redisKeys(set.prefix);
    const registryMaster = await cluster.masterOf(keys.backends());
    // Node ids whose keys live on masters other than the registry's, and other than each other's.
    const nodes: string[] = [];
    const used = new Set([registryMaster]);
    for (let i = 0; nodes.length < 2; i += 1) {
      const master = await cluster.masterOf(keys.nodeInfo(`n${i}`));
      if (used.has(master)) continue;
      nodes.push(`n${i}`);
      used.add(master);
    }
    for (const key of [keys.drains(), keys.health(), keys.nodes(), keys.lease('x'), keys.marker()]) {
      expect(await cluster.masterOf(key), key).toBe(registryMaster);
    }
    const [n1, n2] = nodes as [string, string];
    const drain = { startedAt: 1, deadlineAt: 2, closeRate: 3, closeCode: 1012 };
    await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
    await store.drainBackend('a', drain);
    for (const id of nodes) {
      await store.heartbeat(nodeInfo(id), 60_000);
      await store.recordConnections(id, [connection(`${id}-s`, 'a', id)], []);
    }
    await store.replaceConnections(n2, [connection('x', 'a', n2), connection('y', 'a', n2)]);
    expect(Object.fromEntries((await store.liveCounts()).total)).toEqual({ a: 3 });
    expect((await store.listConnections()).map(({ id }) => id)).toEqual([`${n1}-s`, 'x', 'y']);
    expect((await store.listNodes()).map(({ id }) => id)).toEqual([n1, n2].sort());
    await store.claimMarker(marker('m1'));
    expect((await store.readShared()).drains.get('a')).toEqual(drain);
    await store.undrainBackend('a');
    await store.removeNode(n1);
    await store.removeBackend('a');
    expect((await store.listNodes()).map(({ id }) => id)).toEqual([n2]);
    expect(await raw.exists(keys.nodeInfo(n1), keys.nodeConnections(n1))).toBe(0);
  });

  it('hears events published through any master, whichever node its subscriber picked', async () => {
    const peer = await set.open();
    const events: StateEvent[] = [];
    await store.subscribe((event) => events.push(event));
    await peer.publish({ type: 'health-changed' });
    await raw.publish(redisKeys(set.prefix).events(), JSON.stringify({ type: 'registry-changed' }));
    // Published through two masters: the cluster bus relays each on its own, so either may come first.
    const types = (): string[] => events.map((event) => event.type).sort();
    await expect.poll(types).toEqual(['health-changed', 'registry-changed']);
  });

  it('times out a command the master of its slot does not answer (commandTimeout on every node connection)', async () => {
    const master = await cluster.masterOf(redisKeys(set.prefix).backends());
    const admin = new Redis({ host: '127.0.0.1', port: master, password: cluster.password });
    try {
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const started = performance.now();
      await expect(store.readRegistry()).rejects.toMatchObject({
        code: 'MOORING_ERR_STATE_UNAVAILABLE',
        message: expect.stringMatching(/timed out/i),
      });
      expect(performance.now() - started).toBeLessThan(1_400);
      await expect
        .poll(
          () =>
            store.readRegistry().then(
              () => true,
              () => false,
            ),
          { timeout: 5_000 },
        )
        .toBe(true);
    } finally {
      admin.disconnect();
    }
  });
});

// Last: it kills a master, which the suites above must not see.
describe('RedisStateStore through a Redis Cluster failover', () => {
  it('fails fast while the slot has no master, then serves from the promoted replica without a new client', async () => {
    const set = storeSet();
    const store = await set.open();
    try {
      await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
      const events: StateEvent[] = [];
      await store.subscribe((event) => events.push(event));
      await cluster.kill(await cluster.masterOf(redisKeys(set.prefix).backends()));
      // No queue: a call settles (fails, or is answered by the promoted replica) within the
      // failover retries (16 × 100 ms) plus the command timeout, instead of waiting for Redis.
      const started = performance.now();
      await store.readRegistry().catch((err: unknown) => {
        expect(err).toMatchObject({ code: 'MOORING_ERR_STATE_UNAVAILABLE' });
      });
      expect(performance.now() - started).toBeLessThan(3_000);
      await cluster.waitHealthy();
      const ids = (): Promise<string[]> =>
        store.readRegistry().then(
          ({ backends }) => backends.map(({ id }) => id),
          () => [],
        );
      await expect.poll(ids, { timeout: 10_000 }).toEqual(['a']);
      // The subscriber follows as well: an event published after the failover arrives.
      await expect
        .poll(
          async () => {
            await store.publish({ type: 'health-changed' }).catch(() => {});
            return events.some((event) => event.type === 'health-changed');
          },
          { timeout: 10_000 },
        )
        .toBe(true);
    } finally {
      await set.closeAll();
    }
  });
});
