import { TestkitError } from '../errors/testkit-error.js';
import { dockerAnswers } from './docker-probe.js';
import { startRedisServer } from './redis-server-process.js';

/** A Redis for the test run, whatever its origin. */
export interface ProvidedRedis {
  /** `redis://host:port` */
  url: string;
  /** Where it came from: the environment, a testcontainers container, or a spawned redis-server. */
  source: 'env' | 'container' | 'process';
  /** Releases it (no-op for `REDIS_URL`). */
  stop(): Promise<void>;
}

/** Image used when Docker is available; pinned so every run tests the same server. */
export const REDIS_IMAGE = 'redis:7.4-alpine';

/**
 * Provides a real Redis: `REDIS_URL` when set; else a testcontainers Redis when
 * a Docker engine answers within 2 s; else a `redis-server` spawned from PATH.
 * Throws TESTKIT_ERR_REDIS_UNAVAILABLE, naming what to install, when none works.
 */
export async function provideRedis(): Promise<ProvidedRedis> {
  const fromEnv = process.env.REDIS_URL;
  if (fromEnv) return { url: fromEnv, source: 'env', stop: async () => undefined };
  if (await dockerAnswers()) {
    const { RedisContainer } = await import('@testcontainers/redis');
    const container = await new RedisContainer(REDIS_IMAGE).start();
    return { url: container.getConnectionUrl(), source: 'container', stop: async () => void (await container.stop()) };
  }
  try {
    const server = await startRedisServer();
    return { url: server.url, source: 'process', stop: () => server.stop() };
  } catch (cause) {
    throw new TestkitError(
      'TESTKIT_ERR_REDIS_UNAVAILABLE',
      'No Redis available for tests: install `redis-server` from your OS packages ' +
        '(e.g. `apt-get install redis-server`, `brew install redis`), or start Docker, ' +
        'or set REDIS_URL=redis://host:port',
      { cause },
    );
  }
}
