import { setTimeout as wait } from 'node:timers/promises';
import { RedisStateStore } from '@mooring/balancer';
import type { CliDeps } from './command-deps.js';
import type { StoreTarget } from './commands/state-options.js';

/** Short timeouts: an operator at a terminal wants "cannot connect" in seconds, not a hang. */
const redisTimeoutMs = 2_000;

/** The real process: stdout, stderr, the wall clock, real timers and Redis. */
export function processDeps(): CliDeps {
  return {
    out: (text) => void process.stdout.write(text),
    err: (text) => void process.stderr.write(text),
    now: Date.now,
    // The only rejection of an aborted wait is its AbortError: the wait is simply over.
    sleep: async (ms, signal) => void (await wait(ms, undefined, { signal }).catch(() => undefined)),
    outIsTTY: process.stdout.isTTY === true,
    onInterrupt: (handler) => {
      const signals = ['SIGINT', 'SIGTERM'] as const;
      for (const signal of signals) process.on(signal, handler);
      return () => signals.forEach((signal) => process.off(signal, handler));
    },
    // Any topology the URL names; a Sentinel or Cluster client follows a failover on its own.
    openStore: (where: StoreTarget) =>
      RedisStateStore.connect({ ...where, connectTimeoutMs: redisTimeoutMs, commandTimeoutMs: redisTimeoutMs }),
  };
}
