import { randomUUID } from 'node:crypto';
import { findFreePort, startRedisServer, type RedisServerProcess } from '@mooring/testkit';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { commandClientOptions, subscriberClientOptions } from '../../src/state/redis-client-options.js';
import { redisKeys } from '../../src/state/redis-keys.js';
import { RedisStateStore } from '../../src/state/redis-state-store.js';
import type { StateEvent } from '../../src/state/state-store.js';
import { connection, describeStateStore, marker, nodeInfo } from './describe-state-store.js';
import { wipePrefix } from './redis-wipe.js';

// Every file gets its own redis-server on a free port (never 6379); each test its own prefix.
let server: RedisServerProcess;
beforeAll(async () => {
  server = await startRedisServer();
});
afterAll(async () => {
  await server?.stop();
});

const newPrefix = (): string => `test-${randomUUID()}`;

/** Opens stores on one prefix and closes them all afterwards. */
function storeSet(url: () => string, prefix = newPrefix()) {
  const stores: RedisStateStore[] = [];
  return {
    prefix,
    async open(): Promise<RedisStateStore> {
      const store = await RedisStateStore.connect({ url: url(), prefix });
      stores.push(store);
      return store;
    },
    async closeAll(): Promise<void> {
      await Promise.all(stores.map((store) => store.close()));
    },
  };
}

/** Resolves to the rejection of `promise`, or to 'resolved' / 'still pending' — never waits past `ms`. */
async function settleWithin(promise: Promise<unknown>, ms: number): Promise<unknown> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise((resolve) => (timer = setTimeout(resolve, ms, 'still pending')));
  try {
    return await Promise.race([
      promise.then(
        () => 'resolved',
        (err: unknown) => err,
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describeStateStore('RedisStateStore (standalone)', async () => {
  const set = storeSet(() => server.url);
  const store = await set.open();
  const raw = new Redis(server.url);
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

describe('RedisStateStore against raw Redis writes', () => {
  let raw: Redis;
  let set: ReturnType<typeof storeSet>;
  let store: RedisStateStore;
  let keys: ReturnType<typeof redisKeys>;

  beforeEach(async () => {
    raw = new Redis(server.url, { lazyConnect: true });
    await raw.connect();
    set = storeSet(() => server.url);
    keys = redisKeys(set.prefix);
    store = await set.open();
  });
  afterEach(async () => {
    await set.closeAll();
    await raw.quit();
  });

  it('parses each registry field on its own: malformed ones are reported and never disturb the others', async () => {
    await raw.hset(keys.backends(), {
      plain: 'http://127.0.0.1:3001',
      json: '{"url":"http://127.0.0.1:3002/","weight":3,"state":"draining"}',
      'bad-url': 'localhost:3003',
      'bad-json': '{"url":',
      'bad-key': '{"url":"http://127.0.0.1:3004","wieght":2}',
      'bad-weight': '{"url":"http://127.0.0.1:3005","weight":0}',
      'bad-state': '{"url":"http://127.0.0.1:3006","state":"paused"}',
      'bad id': 'http://127.0.0.1:3007',
    });
    const snapshot = await store.readRegistry();
    expect(snapshot.backends).toEqual([
      { id: 'json', url: 'http://127.0.0.1:3002', weight: 3, state: 'draining' },
      { id: 'plain', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' },
    ]);
    expect(snapshot.malformed.map(({ id, reason }) => [id, reason.split(':')[0]])).toEqual([
      ['bad id', 'id'],
      ['bad-json', 'invalid JSON'],
      ['bad-key', 'Unrecognized key'],
      ['bad-state', 'state'],
      ['bad-url', 'url'],
      ['bad-weight', 'weight'],
    ]);
    expect(snapshot.malformed.find((entry) => entry.id === 'bad-json')?.raw).toBe('{"url":');
    await raw.hdel(keys.backends(), 'plain', 'bad-url');
    expect((await store.readRegistry()).backends.map((backend) => backend.id)).toEqual(['json']);
  });

  it('writes the JSON form, readable by any Redis client', async () => {
    await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 2, state: 'active' });
    expect(JSON.parse((await raw.hget(keys.backends(), 'a')) ?? '')).toEqual({
      url: 'http://127.0.0.1:3001',
      weight: 2,
      state: 'active',
    });
  });

  it('skips undecodable node, connection and health values', async () => {
    await store.heartbeat(nodeInfo('n1'), 60_000);
    await store.recordConnections('n1', [connection('s1', 'a', 'n1')], []);
    await raw.hset(keys.nodeConnections('n1'), 'junk', 'not json');
    await raw.set(keys.nodeInfo('n2'), '{"id":"n2"}', 'PX', 60_000);
    await raw.zadd(keys.nodes(), 1, 'n2');
    await raw.hset(keys.health(), {
      a: '{"healthy":true,"since":1,"checkedBy":"n1","streak":1}',
      b: '{"healthy":"yes"}',
    });
    expect((await store.listNodes()).map((node) => node.id)).toEqual(['n1']);
    // Undecodable is not expired: the member stays for whoever fixes it.
    expect(await raw.zscore(keys.nodes(), 'n2')).toBe('1');
    expect((await store.listConnections()).map((record) => record.id)).toEqual(['s1']);
    expect([...(await store.readHealth()).keys()]).toEqual(['a']);
  });

  it('ignores a malformed event and delivers the next one', async () => {
    const events: StateEvent[] = [];
    await store.subscribe((event) => events.push(event));
    await raw.publish(keys.events(), 'garbage');
    await raw.publish(keys.events(), '{"type":"nope"}');
    await raw.publish(keys.events(), '{"type":"health-changed"}');
    await expect.poll(() => events).toEqual([{ type: 'health-changed' }]);
  });

  it('lays out its keys as documented, with TTLs on everything a node owns', async () => {
    await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
    await store.writeHealth(new Map([['a', { healthy: true, since: 1, checkedBy: 'n1', streak: 1 }]]));
    await store.heartbeat(nodeInfo('n1'), 10_000);
    await store.recordConnections('n1', [connection('s1', 'a', 'n1')], []);
    await store.acquireLease('health', 'n1', 10_000);
    await store.claimMarker(marker('m1'));
    await store.drainBackend('a', { startedAt: 1, deadlineAt: 2, closeRate: 1, closeCode: 1012 });
    const p = set.prefix;
    expect((await raw.keys(`*${p}:*`)).sort()).toEqual(
      [
        `${p}:backends`,
        `{${p}:backends}:drains`,
        `{${p}:backends}:health`,
        `{${p}:backends}:lease:health`,
        `{${p}:backends}:marker`,
        `{${p}:backends}:nodes`,
        `${p}:{node:n1}:conns`,
        `${p}:{node:n1}:counts`,
        `${p}:{node:n1}:info`,
      ].sort(),
    );
    for (const key of [
      keys.nodes(),
      keys.nodeInfo('n1'),
      keys.nodeConnections('n1'),
      keys.nodeCounts('n1'),
      keys.lease('health'),
    ]) {
      const ttl = await raw.pttl(key);
      expect(ttl, key).toBeGreaterThan(0);
      expect(ttl, key).toBeLessThanOrEqual(10_000);
    }
    for (const key of [keys.backends(), keys.drains(), keys.health(), keys.marker()]) {
      expect(await raw.pttl(key), key).toBe(-1);
    }
    expect(await raw.hgetall(keys.nodeCounts('n1'))).toEqual({ a: '1' });
  });

  describe('drains', () => {
    const drain = { startedAt: 1_000, deadlineAt: 61_000, closeRate: 50, closeCode: 1012 };
    const entry = async (id: string): Promise<unknown> => JSON.parse((await raw.hget(keys.backends(), id)) ?? '');
    let command: Redis;
    let spied: RedisStateStore;
    /** Names of the commands the store sent, in order, and a hook run before each is sent. */
    let sent: string[];
    let beforeSend: (name: string) => Promise<void>;

    beforeEach(async () => {
      command = new Redis(server.url, commandClientOptions());
      const createSubscriber = (): Redis => new Redis(server.url, subscriberClientOptions());
      spied = new RedisStateStore({ command, createSubscriber, prefix: set.prefix });
      await command.connect();
      sent = [];
      beforeSend = async () => undefined;
      const send = command.sendCommand.bind(command);
      vi.spyOn(command, 'sendCommand').mockImplementation((cmd, stream) => {
        sent.push(cmd.name.toLowerCase());
        // Sent later, but its caller still awaits (and handles) the command's own promise.
        void beforeSend(cmd.name.toLowerCase()).then(() => void send(cmd, stream));
        return cmd.promise;
      });
    });
    afterEach(async () => {
      await spied.close();
    });

    it('writes state, terms and announcement in one script, never as separate commands', async () => {
      await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
      await spied.drainBackend('a', drain); // loads the script, so EVALSHA alone is sent next
      sent = [];
      await spied.undrainBackend('a');
      await spied.drainBackend('a', drain);
      // Reads, then one EVALSHA per operation: nothing the script writes goes out on its own, and
      // Redis runs a script without interleaving any other client's command (EVAL, "Atomicity").
      expect(sent).toEqual(['hget', 'hget', 'evalsha', 'hget', 'hget', 'evalsha']);
      expect(await entry('a')).toEqual({ url: 'http://127.0.0.1:3001', weight: 1, state: 'draining' });
      expect(JSON.parse((await raw.hget(keys.drains(), 'a')) ?? '')).toEqual(drain);
    });

    it('keeps a change made between its read and its write (compare and set, then again)', async () => {
      await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
      let moved = false;
      beforeSend = async (name) => {
        if (moved || !name.startsWith('eval')) return;
        moved = true;
        // An operator's `backend add a <new url>` lands after the drain read the old entry.
        await raw.hset(keys.backends(), 'a', '{"url":"http://127.0.0.1:4001","weight":3}');
      };
      expect(await spied.drainBackend('a', drain)).toEqual(drain);
      expect(moved).toBe(true);
      const kept = { id: 'a', url: 'http://127.0.0.1:4001', weight: 3, state: 'draining' };
      expect((await store.readRegistry()).backends).toEqual([kept]);
      expect(sent.filter((name) => name.startsWith('eval')).length).toBeGreaterThanOrEqual(2);
    });

    it('drains an entry written by hand as a bare URL, and refuses a malformed one', async () => {
      await raw.hset(keys.backends(), { plain: 'http://127.0.0.1:3001/', broken: '{"url":' });
      expect(await spied.drainBackend('plain', drain)).toEqual(drain);
      expect(await entry('plain')).toEqual({ url: 'http://127.0.0.1:3001', weight: 1, state: 'draining' });
      expect(await spied.drainBackend('broken', drain)).toBeUndefined();
      expect(await spied.undrainBackend('broken')).toBe(false);
      expect(await raw.hget(keys.backends(), 'broken')).toBe('{"url":');
      expect(await raw.hexists(keys.drains(), 'broken')).toBe(0);
    });
  });

  it('takes a marker written by hand as a marker whose id is its text, and re-seeds only over that id', async () => {
    await raw.set(keys.marker(), 'set by hand');
    expect((await store.readShared()).marker).toMatchObject({ id: 'set by hand', by: 'unknown' });
    const seed = { backends: [], drains: new Map(), health: new Map() };
    expect(await store.reseed(seed, marker('m2'), undefined)).toBe(false);
    expect(await store.reseed(seed, marker('m2'), 'set by hand')).toBe(true);
    expect(JSON.parse((await raw.get(keys.marker())) ?? '')).toEqual(marker('m2'));
    // JSON with an id but nothing else is still that id, for the script as for the decoder.
    await raw.set(keys.marker(), '{"id":"bare"}');
    expect((await store.readShared()).marker?.id).toBe('bare');
    expect(await store.reseed(seed, marker('m3'), 'bare')).toBe(true);
  });

  it('moves drains and health of the previous layout once, keeping what this layout holds', async () => {
    const drain = { startedAt: 1, deadlineAt: 2, closeRate: 1, closeCode: 1012 };
    await raw.hset(`${set.prefix}:drains`, { a: JSON.stringify(drain), b: JSON.stringify(drain) });
    await raw.hset(`${set.prefix}:health`, 'a', '{"healthy":false,"since":1,"checkedBy":"old","streak":3}');
    await raw.hset(keys.drains(), 'b', JSON.stringify({ ...drain, closeRate: 9 }));
    expect(await store.migrateLegacyLayout()).toEqual({ drains: 2, health: 1 });
    expect(await store.readDrains()).toEqual(
      new Map([
        ['a', drain],
        ['b', { ...drain, closeRate: 9 }],
      ]),
    );
    expect((await store.readHealth()).get('a')?.checkedBy).toBe('old');
    expect(await raw.exists(`${set.prefix}:drains`, `${set.prefix}:health`)).toBe(0);
    expect(await store.migrateLegacyLayout()).toEqual({ drains: 0, health: 0 });
  });

  it('prunes an expired node from the index when listing', async () => {
    await store.heartbeat(nodeInfo('gone'), 300);
    await store.heartbeat(nodeInfo('kept'), 60_000);
    await expect
      .poll(async () => (await store.listNodes()).map((node) => node.id), { timeout: 5_000 })
      .toEqual(['kept']);
    expect(await raw.zrange(keys.nodes(), 0, -1)).toEqual(['kept']);
  });

  it('lets a table written before any heartbeat expire on its own', async () => {
    await store.recordConnections('ghost', [connection('s1', 'a', 'ghost')], []);
    const ttl = await raw.pttl(keys.nodeConnections('ghost'));
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });
});

describe('RedisStateStore when Redis fails', () => {
  // A server of its own: these tests stop and pause it.
  let flaky: RedisServerProcess;
  let set: ReturnType<typeof storeSet>;
  beforeAll(async () => {
    flaky = await startRedisServer();
  });
  afterAll(async () => {
    await flaky?.stop();
  });
  beforeEach(() => {
    set = storeSet(() => flaky.url);
  });
  afterEach(async () => {
    await set.closeAll();
    if (!flaky.running) await flaky.restart();
  });

  it('explains a failed connect instead of hanging', async () => {
    const url = `redis://127.0.0.1:${await findFreePort()}`;
    const outcome = await settleWithin(RedisStateStore.connect({ url }), 5_000);
    expect(outcome).toMatchObject({
      code: 'MOORING_ERR_STATE_CONNECT',
      message: expect.stringMatching(/ECONNREFUSED/),
    });
  });

  it('rejects at once while Redis is down, and recovers on the same port, subscriber included', async () => {
    const store = await set.open();
    const peer = await set.open();
    const late = await set.open();
    const events: StateEvent[] = [];
    await store.subscribe((event) => events.push(event));
    expect(store.available).toBe(true);

    await flaky.stop();
    await expect.poll(() => store.available).toBe(false);
    for (const call of [
      () => store.readRegistry(),
      () => store.heartbeat(nodeInfo('n1'), 1_000),
      () => late.subscribe(() => undefined),
    ]) {
      expect(await settleWithin(call(), 1_000)).toMatchObject({ code: 'MOORING_ERR_STATE_UNAVAILABLE' });
    }

    expect(store.reconnects).toBe(0);
    await flaky.restart();
    await expect.poll(() => store.available, { timeout: 10_000 }).toBe(true);
    expect(store.reconnects).toBe(1);
    await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
    expect((await peer.readRegistry()).backends.map((backend) => backend.id)).toEqual(['a']);
    // Resubscribed: listeners are told to re-read, then receive events again.
    await expect.poll(() => events, { timeout: 10_000 }).toContainEqual({ type: 'health-changed' });
    const marker: StateEvent = { type: 'passive-failure', backend: 'a', node: 'peer' };
    await expect
      .poll(
        async () => {
          await peer.publish(marker);
          return events.some((event) => event.type === 'passive-failure');
        },
        { timeout: 10_000 },
      )
      .toBe(true);
    await expect(late.subscribe(() => undefined)).resolves.toEqual(expect.any(Function));
  });

  it('times out a command Redis does not answer', async () => {
    const store = await set.open();
    const admin = new Redis(flaky.url, { lazyConnect: true });
    await admin.connect();
    try {
      await admin.call('CLIENT', 'PAUSE', '1500', 'ALL');
      const outcome = await settleWithin(store.readRegistry(), 1_000);
      expect(outcome).toMatchObject({
        code: 'MOORING_ERR_STATE_UNAVAILABLE',
        message: expect.stringMatching(/timed out/i),
      });
      // Connected, but not answering: not available (the state-store-up metric says so).
      expect(store.available).toBe(false);
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
      expect(store.available).toBe(true);
    } finally {
      await admin.quit();
    }
  });
});
