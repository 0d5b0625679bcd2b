import { Option, type Command } from 'commander';
import type { StateStore } from '@mooring/balancer';
import { CliError, exitCodes } from '../cli-error.js';
import type { CliDeps } from '../command-deps.js';

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
export async function withStore<T>(
  options: StateOptions,
  openStore: CliDeps['openStore'],
  run: (store: StateStore) => Promise<T>,
): Promise<T> {
  const url = options.redis;
  if (!url) {
    const message = '--redis URL (or MOORING_REDIS) is required: operator commands work on the shared state';
    throw new CliError(message, exitCodes.usage);
  }
  if (!/^rediss?:\/\/\S+$/.test(url)) {
    throw new CliError(`--redis: expected a redis:// URL, got ${JSON.stringify(url)}`, exitCodes.usage);
  }
  let store: StateStore;
  try {
    store = await openStore({ url, prefix: options.prefix });
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  try {
    return await run(store);
  } finally {
    await store.close().catch(() => {});
  }
}
