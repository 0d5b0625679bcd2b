import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { ConfigError } from '../config/config-error.js';
import { redactRedisUrl } from '../config/redis-url.js';
import type { MooringConfig } from '../config/schema.js';
import { MemoryStateStore } from './memory-state-store.js';
import { RedisStateStore, type RedisConnectOptions } from './redis-state-store.js';
import type { StateStore } from './state-store.js';

/**
 * The node's shared state: in memory without `--redis`, else Redis of the URL's topology. A Redis
 * that is down when the node starts does not stop it: the node starts degraded on its static
 * backends, and the client keeps reconnecting in the background.
 */
export async function openStateStore(config: Readonly<MooringConfig>, log: Logger): Promise<StateStore> {
  if (!config.redis) return new MemoryStateStore();
  const options: RedisConnectOptions = {
    url: config.redis,
    prefix: config.prefix,
    logger: log.child({ component: 'redis' }),
    tlsCa: readCa(config.redisCa),
    sentinelPassword: config.redisSentinelPassword,
  };
  let store: RedisStateStore;
  try {
    store = await RedisStateStore.connect(options);
  } catch (err) {
    log.error(
      { err, redis: redactRedisUrl(config.redis) },
      'Redis unreachable at start: starting degraded on static backends, retrying in the background',
    );
    return RedisStateStore.connectInBackground(options);
  }
  await moveLegacyKeys(store, log);
  return store;
}

/** The CA bundle of `--redis-ca`, read once at start: an unreadable file is a configuration error (exit 2). */
function readCa(path: string | undefined): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new ConfigError(`redisCa (--redis-ca, MOORING_REDIS_CA): cannot read ${path}: ${reason}`);
  }
}

/** The one-time move of the previous layout's keys (see redis-legacy-layout.ts); a failure only costs that move. */
async function moveLegacyKeys(store: RedisStateStore, log: Logger): Promise<void> {
  try {
    const moved = await store.migrateLegacyLayout();
    if (moved.drains + moved.health > 0) log.info({ moved }, 'moved drains and health to the Redis Cluster key layout');
  } catch (err) {
    log.warn(
      { err },
      'could not move keys of the previous Redis layout; drains in progress may need to be started again',
    );
  }
}
