import { Redis } from 'ioredis';
import type { RedisServerProcess, TestBackend } from '@mooring/testkit';
import { afterAll, beforeAll } from 'vitest';
import { startRedisServer } from './redis-cluster-fixture.js';

/** A redis-server of one test file's own, a raw client to it, and the file's test backends. */
export interface FileRedis {
  readonly redis: RedisServerProcess;
  readonly raw: Redis;
  /** Backends the file starts: closed after all its tests, before the server stops. */
  readonly backends: TestBackend[];
}

/**
 * Starts the file's redis-server before its tests and stops it after them (with its raw client
 * and backends). The fields are there once the file's `beforeAll` hooks have run.
 */
export function useFileRedis(): FileRedis {
  let redis: RedisServerProcess | undefined;
  let raw: Redis | undefined;
  const backends: TestBackend[] = [];
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url, { lazyConnect: true });
    await raw.connect();
  });
  afterAll(async () => {
    raw?.disconnect();
    await Promise.all(backends.map((backend) => backend.close()));
    await redis?.stop();
  });
  return {
    get redis() {
      return redis!;
    },
    get raw() {
      return raw!;
    },
    backends,
  };
}
