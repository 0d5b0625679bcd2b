import { setTimeout as wait } from 'node:timers/promises';
import { RedisStateStore } from '@mooring/balancer';
import type { CliDeps } from './command-deps.js';

/** Short timeouts: an operator at a terminal wants "cannot connect" in seconds, not a hang. */
const redisTimeoutMs = 2_000;

/** The real process: stdout, stderr, the wall clock, real timers and Redis. */
export function processDeps(): CliDeps {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    now: Date.now,
    sleep: async (ms) => void (await wait(ms)),
    openStore: ({ url, prefix }) =>
      RedisStateStore.connect({ url, prefix, connectTimeoutMs: redisTimeoutMs, commandTimeoutMs: redisTimeoutMs }),
  };
}
