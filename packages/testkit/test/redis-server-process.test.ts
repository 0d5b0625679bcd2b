import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { pingRedis, provideRedis, startRedisServer } from '../src/index.js';

function hasRedisServer(): boolean {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe.skipIf(!hasRedisServer())('startRedisServer', () => {
  it('answers PING, goes away on stop and comes back on the same port', async () => {
    const redis = await startRedisServer();
    try {
      expect(redis.port).not.toBe(6379);
      expect(redis.url).toBe(`redis://127.0.0.1:${redis.port}`);
      expect(await pingRedis(redis.port)).toBe(true);
      await redis.stop();
      expect(redis.running).toBe(false);
      expect(await pingRedis(redis.port)).toBe(false);
      await redis.restart();
      expect(redis.running).toBe(true);
      expect(await pingRedis(redis.port)).toBe(true);
    } finally {
      await redis.stop();
    }
  });

  it('refuses port 6379', async () => {
    await expect(startRedisServer({ port: 6379 })).rejects.toThrow(/6379/);
  });
});

describe('provideRedis', () => {
  it('uses REDIS_URL as is when set', async () => {
    const saved = process.env.REDIS_URL;
    process.env.REDIS_URL = 'redis://example.invalid:1234';
    try {
      const redis = await provideRedis();
      expect(redis).toMatchObject({ url: 'redis://example.invalid:1234', source: 'env' });
      await redis.stop();
    } finally {
      if (saved === undefined) delete process.env.REDIS_URL;
      else process.env.REDIS_URL = saved;
    }
  });

  it.skipIf(Boolean(process.env.REDIS_URL) || !hasRedisServer())('provides a Redis that answers PING', async () => {
    const redis = await provideRedis();
    try {
      const port = Number(new URL(redis.url).port);
      expect(await pingRedis(port, new URL(redis.url).hostname)).toBe(true);
    } finally {
      await redis.stop();
    }
  });
});
