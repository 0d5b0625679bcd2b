import { Cluster, Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { parseRedisUrl, type RedisTarget } from '../../src/config/redis-url.js';
import { redisClientFactory } from '../../src/state/redis-clients.js';
import type { RedisClient } from '../../src/state/redis-connection.js';

const targetOf = (url: string): RedisTarget => {
  const parsed = parseRedisUrl(url);
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.target;
};

/** Every client here is lazy and never connects; they are dropped after each test all the same. */
const made: RedisClient[] = [];
const keep = <T extends RedisClient>(client: T): T => {
  made.push(client);
  return client;
};
afterEach(() => {
  for (const client of made.splice(0)) client.disconnect();
});

describe('redisClientFactory', () => {
  it('gives a standalone client the fail-fast options, the URL credentials and the CA', () => {
    const factory = redisClientFactory(
      { target: targetOf('rediss://app:pw@h.example:6390/2'), tlsCa: 'PEM' },
      { commandTimeoutMs: 300 },
    );
    const command = keep(factory.command()) as Redis;
    expect(command).toBeInstanceOf(Redis);
    expect(command.options).toMatchObject({
      host: 'h.example',
      port: 6390,
      db: 2,
      username: 'app',
      password: 'pw',
      tls: { ca: 'PEM' },
      enableOfflineQueue: false,
      commandTimeout: 300,
      lazyConnect: true,
    });
    expect((keep(factory.subscriber()) as Redis).options).toMatchObject({ autoResubscribe: true, tls: { ca: 'PEM' } });
  });

  it('asks the sentinels for the master, reconnects on READONLY, and keeps the sentinel password apart', () => {
    const factory = redisClientFactory({
      target: targetOf('redis+sentinel://u:pw@s1:26379,s2:26380/mymaster/1'),
      sentinelPassword: 'sentinel-secret',
    });
    const command = keep(factory.command()) as Redis;
    expect(command.options).toMatchObject({
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26380 },
      ],
      name: 'mymaster',
      role: 'master',
      db: 1,
      username: 'u',
      password: 'pw',
      sentinelPassword: 'sentinel-secret',
      enableOfflineQueue: false,
      commandTimeout: 500,
    });
    expect(command.options.reconnectOnError?.(new Error('READONLY You can’t write against a read only replica.'))).toBe(
      true,
    );
  });

  it('makes a Cluster client that fails fast on the cluster and on every node connection, masters only', () => {
    const factory = redisClientFactory({ target: targetOf('redis+cluster://:pw@n1:7000,n2:7001') });
    const command = keep(factory.command()) as Cluster;
    expect(command).toBeInstanceOf(Cluster);
    expect(command.options).toMatchObject({
      enableOfflineQueue: false,
      lazyConnect: true,
      scaleReads: 'master',
      redisOptions: { password: 'pw', commandTimeout: 500, connectionName: 'mooring-command' },
    });
    // ioredis keeps the parsed seed list private; it is what the Cluster will dial first.
    expect((command as unknown as { startupNodes: unknown }).startupNodes).toEqual([
      { host: 'n1', port: 7000 },
      { host: 'n2', port: 7001 },
    ]);
    expect((keep(factory.subscriber()) as Cluster).options.redisOptions).toMatchObject({
      connectionName: 'mooring-subscriber',
    });
  });
});
