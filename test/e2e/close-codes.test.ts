import { Redis } from 'ioredis';
import {
  openRecordingClient,
  runMooring,
  startTestBackend,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet } from '../support/fleet.js';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';

describe('the close code of gentle closes', () => {
  it('SIGTERM closes a live WebSocket with the configured --close-code, both ways', async () => {
    const fleet = await startFleet({ workers: 1, backendCount: 1, args: ['--close-code', '4000'] });
    try {
      const client = await openRecordingClient(`${fleet.node.wsUrl}/`);
      expect(await client.request('before')).toBe('before');
      const exit = fleet.node.stop('SIGTERM', 30_000);
      expect(await client.closed).toEqual({ code: 4000, reason: '' });
      expect(client.errors).toEqual([]);
      expect(await exit).toBe(0);
      await expect.poll(() => fleet.backends[0]!.closeCodes).toEqual([4000]);
    } finally {
      await Promise.all(fleet.backends.map((backend) => backend.close()));
    }
  });
});

// No Redis is needed: the close code is checked before connecting, so an unreachable Redis (exit 1
// if it were tried) proves the order as well as the refusal.
describe('operator commands refuse a close code that may not be sent', () => {
  const unreachable = ['--redis', 'redis://127.0.0.1:1'];
  it.each([
    [['backend', 'drain', 'x', '--close-code', '2000']],
    [['backend', 'drain', 'x', '--close-code', '1016']],
    [['backend', 'drain', 'x', '--close-code', '1012.5']],
    [['backend', 'remove', 'x', '--drain', '--close-code', '2000']],
    [['rollout', '--retire', 'x', '--close-code', '2000']],
  ])('%j exits 2 with one line naming --close-code', async (args) => {
    const result = await runMooring([...args, ...unreachable]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('--close-code: expected a WebSocket close code that may be sent');
    expect(result.stdout).toBe('');
  });
});

describe('a drain record written by hand with a close code that may not be sent', () => {
  let redis: RedisServerProcess;
  let raw: Redis;
  let backend: TestBackend;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url, { lazyConnect: true });
    await raw.connect();
    backend = await startTestBackend({ name: 'h-1' });
  });
  afterAll(async () => {
    raw?.disconnect();
    await backend?.close();
    await redis?.stop();
  });

  it('closes the sessions with 1012 instead of killing the worker', async () => {
    const prefix = uniquePrefix();
    await raw.hset(`${prefix}:backends`, 'h-1', backend.url);
    const node = await startSharedNode(redis, prefix, 'hand-a', [], 1);
    try {
      const client = await openRecordingClient(`${node.wsUrl}/`);
      expect(await client.request('before')).toBe('before');
      // What an old CLI or an operator's HSET can leave behind: 2000 is reserved (RFC 6455 §7.4.2).
      const record = { startedAt: Date.now(), deadlineAt: Date.now(), closeRate: 100, closeCode: 2000 };
      await raw.hset(`{${prefix}:backends}:drains`, 'h-1', JSON.stringify(record));
      await raw.hset(`${prefix}:backends`, 'h-1', JSON.stringify({ url: backend.url, weight: 1, state: 'draining' }));
      expect(await client.closed).toEqual({ code: 1012, reason: '' });
      expect(client.errors).toEqual([]);
      await expect.poll(() => backend.closeCodes).toEqual([1012]);
      expect(node.logs.filter((line) => line.msg === 'worker exited, replacing it')).toEqual([]);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });
});
