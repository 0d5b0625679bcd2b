import { readFileSync } from 'node:fs';
import { Option, type Command } from 'commander';
import { RedisStateStore, StateError, type StateStore } from '@mooring/balancer';
import { CliError, exitCodes } from '../cli-error.js';

/** Options every operator command takes to reach the shared state. */
export interface StateOptions {
  readonly redis?: string;
  readonly prefix: string;
  readonly redisCa?: string;
  readonly redisSentinelPassword?: string;
}

/**
 * What an operator command's store is opened from: the URL and prefix, and what the options add
 * (the CA bundle's contents, the sentinels' password). CliDeps' `openStore` is called with one.
 */
export interface StoreTarget {
  readonly url: string;
  readonly prefix: string;
  readonly tlsCa?: Buffer;
  readonly sentinelPassword?: string;
}

/** Opens the store of a {@link StoreTarget}. */
export type OpenStore = (where: StoreTarget) => Promise<StateStore>;

/**
 * Adds `--redis`, `--prefix`, `--redis-ca` and `--redis-sentinel-password` (also from MOORING_REDIS,
 * MOORING_PREFIX, MOORING_REDIS_CA and MOORING_REDIS_SENTINEL_PASSWORD, as for `mooring start`).
 */
export function addStateOptions(command: Command): Command {
  const forms = 'redis://, rediss://, redis+sentinel://HOST:PORT,…/MASTER or redis+cluster://HOST:PORT,…';
  return command
    .addOption(new Option('--redis <URL>', `Redis of the cluster: ${forms}`).env('MOORING_REDIS'))
    .addOption(new Option('--prefix <NAME>', 'Redis key prefix').env('MOORING_PREFIX').default('mooring'))
    .addOption(new Option('--redis-ca <FILE>', 'PEM CA bundle for a rediss:// Redis').env('MOORING_REDIS_CA'))
    .addOption(
      new Option('--redis-sentinel-password <PASSWORD>', "the sentinels' own password").env(
        'MOORING_REDIS_SENTINEL_PASSWORD',
      ),
    );
}

/**
 * Connects to the cluster's Redis, runs the command, and closes the connection. Operator
 * commands talk to Redis directly, so they work with no node running. The URL and the options
 * are checked first: a bad one exits 2 before anything is contacted.
 */
export async function withStore<T>(
  options: StateOptions,
  openStore: OpenStore,
  run: (store: StateStore) => Promise<T>,
): Promise<T> {
  const where = storeTarget(options);
  let store: StateStore;
  try {
    store = await openStore(where);
  } catch (err) {
    throw new CliError(err instanceof Error ? err.message : String(err));
  }
  try {
    return await run(store);
  } finally {
    await store.close().catch(() => {});
  }
}

/** The options as a target, or a usage error (exit 2) naming the flag. */
function storeTarget(options: StateOptions): StoreTarget {
  const url = options.redis;
  if (!url) {
    const message = '--redis URL (or MOORING_REDIS) is required: operator commands work on the shared state';
    throw new CliError(message, exitCodes.usage);
  }
  let kind: string;
  try {
    kind = RedisStateStore.parseUrl(url).kind;
  } catch (err) {
    if (!(err instanceof StateError)) throw err;
    throw new CliError(`--redis: ${err.message}`, exitCodes.usage);
  }
  if (options.redisCa !== undefined && !/^rediss:/i.test(url)) {
    throw new CliError('--redis-ca needs a rediss:// Redis URL (TLS)', exitCodes.usage);
  }
  if (options.redisSentinelPassword !== undefined && kind !== 'sentinel') {
    throw new CliError('--redis-sentinel-password needs a redis+sentinel:// Redis URL', exitCodes.usage);
  }
  const sentinelPassword = options.redisSentinelPassword;
  return {
    url,
    prefix: options.prefix,
    ...(options.redisCa === undefined ? {} : { tlsCa: readCa(options.redisCa) }),
    ...(sentinelPassword === undefined ? {} : { sentinelPassword }),
  };
}

function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? String(err);
    throw new CliError(`--redis-ca: cannot read ${path}: ${reason}`, exitCodes.usage);
  }
}
