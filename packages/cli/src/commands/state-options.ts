import { Option, type Command } from 'commander';
import { RedisStateStore, StateError, type StateStore } from '@mooring/balancer';
import { CliError } from '../cli-error.js';

/** Options every operator command takes to reach the shared state. */
export interface StateOptions {
  readonly redis?: string;
  readonly prefix: string;
}

/** Adds `--redis` and `--prefix` (also from MOORING_REDIS and MOORING_PREFIX). */
export function addStateOptions(command: Command): Command {
  return command
    .addOption(new Option('--redis <URL>', 'Redis of the cluster').env('MOORING_REDIS'))
    .addOption(new Option('--prefix <NAME>', 'Redis key prefix').env('MOORING_PREFIX').default('mooring'));
}

/**
 * Connects to the cluster's Redis, runs the command, and closes the connection. Operator
 * commands talk to Redis directly, so they work with no node running.
 */
export async function withStore<T>(options: StateOptions, run: (store: StateStore) => Promise<T>): Promise<T> {
  if (!options.redis) throw new CliError('--redis URL (or MOORING_REDIS) is required: operator commands work on the shared state', 2);
  if (!/^rediss?:\/\/\S+$/.test(options.redis)) throw new CliError(`--redis: expected a redis:// URL, got ${JSON.stringify(options.redis)}`, 2);
  let store: StateStore;
  try {
    store = await RedisStateStore.connect({ url: options.redis, prefix: options.prefix, connectTimeoutMs: 2_000, commandTimeoutMs: 2_000 });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  try {
    return await run(store);
  } catch (err) {
    if (err instanceof StateError) throw new CliError(err.message);
    throw err;
  } finally {
    await store.close().catch(() => {});
  }
}

/** Prints stable JSON for scripts. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
