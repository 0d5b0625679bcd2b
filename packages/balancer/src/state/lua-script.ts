import { createHash } from 'node:crypto';
import type { RedisClient } from './redis-connection.js';

/**
 * A Lua script run by its SHA-1 (EVALSHA), sent in full (EVAL) only when the server does not
 * know it yet — after a Redis restart or failover, say. This is what ioredis' `defineCommand`
 * does, without the dynamically added, untyped method.
 */
export class LuaScript {
  readonly sha: string;

  constructor(readonly source: string) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  /** Runs the script; every key in `keys` must hash to one slot (Redis Cluster). */
  async run(client: RedisClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    // Arguments travel as one array: spreading a large table into a call could exceed the engine's argument limit.
    const tail = [keys.length, ...keys, ...args];
    try {
      return await client.call('EVALSHA', [this.sha, ...tail]);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return client.call('EVAL', [this.source, ...tail]);
    }
  }
}
