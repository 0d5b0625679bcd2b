import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { MooringConfig } from '../config/schema.js';
import { MemoryStateStore } from './memory-state-store.js';
import { commandClientOptions, redactRedisUrl, subscriberClientOptions } from './redis-client-options.js';
import { RedisStateStore } from './redis-state-store.js';
import type { StateStore } from './state-store.js';

/**
 * The node's shared state: in memory without `--redis`, else Redis. A Redis that is down when
 * the node starts does not stop it: the node starts degraded on its static backends, and the
 * client keeps reconnecting in the background.
 */
export async function openStateStore(config: Readonly<MooringConfig>, log: Logger): Promise<StateStore> {
  if (!config.redis) return new MemoryStateStore();
  const url = config.redis;
  const logger = log.child({ component: 'redis' });
  try {
    return await RedisStateStore.connect({ url, prefix: config.prefix, logger });
  } catch (err) {
    log.error(
      { err, redis: redactRedisUrl(url) },
      'Redis unreachable at start: starting degraded on static backends, retrying in the background',
    );
    const command = new Redis(url, commandClientOptions());
    command.on('error', () => {}); // reconnect errors are reported once by the state agent
    command.connect().catch(() => {});
    return new RedisStateStore({
      command,
      createSubscriber: () => new Redis(url, subscriberClientOptions()),
      prefix: config.prefix,
      logger,
    });
  }
}
