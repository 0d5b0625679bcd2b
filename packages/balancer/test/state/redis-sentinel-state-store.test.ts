import { randomUUID } from 'node:crypto';
import { startRedisSentinelGroup, type RedisSentinelGroup } from '@mooring/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import type { StateEvent } from '../../src/state/state-store.js';
import { describeStateStore } from './describe-state-store.js';
import { wipePrefix } from './redis-wipe.js';

// One Sentinel group (master, replica, three sentinels) for the file, with passwords on both the
// data nodes (in the URL) and the sentinels (the option); each test its own prefix.
let group: RedisSentinelGroup;
beforeAll(async () => {
  group = await startRedisSentinelGroup({ password: 'data-secret', sentinelPassword: 'sentinel-secret' });
});
afterAll(async () => {
  await group?.stop();
});

function storeSet(prefix = `test-${randomUUID()}`) {
  const stores: RedisStateStore[] = [];
  return {
    prefix,
    async open(): Promise<RedisStateStore> {
      const store = await RedisStateStore.connect({ url: group.url, sentinelPassword: group.sentinelPassword, prefix });
      stores.push(store);
      return store;
    },
    closeAll: () => Promise.all(stores.map((store) => store.close())),
  };
}

function rawClient(): Redis {
  const sentinels = group.sentinelPorts.map((port) => ({ host: '127.0.0.1', port }));
  const raw = new Redis({
    sentinels,
    name: group.masterName,
    password: group.password,
    sentinelPassword: group.sentinelPassword,
  });
  raw.on('error', () => {});
  return raw;
}

describeStateStore('RedisStateStore (Sentinel)', async () => {
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

describe('RedisStateStore through Sentinel', () => {
  it('refuses to connect without the sentinels’ password, naming the sentinels and not the password', async () => {
    const outcome = await RedisStateStore.connect({ url: group.url, connectTimeoutMs: 500 }).then(
      (store) => store.close().then(() => 'connected'),
      (err: Error & { code?: string }) => err,
    );
    expect(outcome).toMatchObject({ code: 'MOORING_ERR_STATE_CONNECT' });
    expect((outcome as Error).message).toContain(`redis+sentinel://:***@127.0.0.1:${group.sentinelPorts[0]}`);
    expect((outcome as Error).message).not.toContain('data-secret');
  });

  // Last: it kills the master, which the suite above must not see.
  it('fails fast while the master is gone, then follows the promoted replica without a new client', async () => {
    const set = storeSet();
    const store = await set.open();
    try {
      await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
      const events: StateEvent[] = [];
      await store.subscribe((event) => events.push(event));
      const [first, second] = group.dataPorts as [number, number];
      await group.kill(first);
      await expect.poll(() => store.available, { timeout: 5_000 }).toBe(false);
      const started = performance.now();
      await expect(store.readRegistry()).rejects.toMatchObject({ code: 'MOORING_ERR_STATE_UNAVAILABLE' });
      expect(performance.now() - started).toBeLessThan(1_000);
      await expect.poll(() => group.masterPort(), { timeout: 15_000, interval: 200 }).toBe(second);
      await expect.poll(() => store.available, { timeout: 15_000 }).toBe(true);
      // The replica had the data: nothing was lost, and the store writes to the new master.
      expect((await store.readRegistry()).backends.map(({ id }) => id)).toEqual(['a']);
      await store.putBackend({ id: 'b', url: 'http://127.0.0.1:3002', weight: 1, state: 'active' });
      expect(store.reconnects).toBeGreaterThanOrEqual(1);
      // The subscriber re-subscribed on the new master: told to re-read, then events again.
      await expect.poll(() => events, { timeout: 10_000 }).toContainEqual({ type: 'health-changed' });
      await group.restart(first);
      await group.waitHealthy();
    } finally {
      await set.closeAll();
    }
  });
});
