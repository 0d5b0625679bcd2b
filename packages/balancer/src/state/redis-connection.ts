import type { ChainableCommander, Redis } from 'ioredis';
import { redactRedisUrl } from './redis-client-options.js';
import { StateError } from './state-error.js';

/** The few pino methods the state layer logs with; a pino Logger fits. */
export interface StateLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/** A logger that drops everything, for callers that pass none. */
export const silentLogger: StateLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined };

/**
 * Logs connection transitions once each (lost, restored) rather than every failed retry, and
 * gives ioredis an `error` listener so it never prints "Unhandled error event".
 */
export function watchConnection(client: Redis, role: 'command' | 'subscriber', logger: StateLogger): void {
  let lost = false;
  client.on('error', (err: Error) => {
    if (lost) return;
    lost = true;
    logger.warn({ err, role }, 'Redis connection lost; retrying');
  });
  client.on('ready', () => {
    if (!lost) return;
    lost = false;
    logger.info({ role }, 'Redis connection restored');
  });
}

/**
 * Connects a lazy client, or explains why not with the underlying error (ECONNREFUSED, NOAUTH…)
 * rather than ioredis' bare "Connection is closed"; throws MOORING_ERR_STATE_CONNECT.
 */
export async function connectOrExplain(client: Redis, url: string): Promise<void> {
  let lastError: Error | undefined;
  const remember = (err: Error): void => void (lastError = err);
  client.on('error', remember);
  try {
    await client.connect();
  } catch (err) {
    // A failed connect leaves the retry loop running: stop it, nobody will use this client.
    client.disconnect();
    const cause = lastError ?? err;
    const detail = cause instanceof Error ? cause.message : String(cause);
    throw new StateError('MOORING_ERR_STATE_CONNECT', `cannot connect to Redis at ${redactRedisUrl(url)}: ${detail}`, {
      cause,
    });
  } finally {
    client.off('error', remember);
  }
}

/** QUIT when connected (replies in flight are delivered), else drop the connection and its retries. */
export async function closeClient(client: Redis): Promise<void> {
  if (client.status === 'ready') {
    try {
      await client.quit();
      return;
    } catch {
      // Fall through: the connection went away while quitting.
    }
  }
  client.disconnect();
}

/** Results of a pipeline, rejecting with the first failed command's error (exec only fails as a whole). */
export async function execPipeline(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}

/** A MOORING_ERR_STATE_UNAVAILABLE naming the operation, with the Redis error as its cause. */
export function unavailable(operation: string, cause: unknown): StateError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  return new StateError('MOORING_ERR_STATE_UNAVAILABLE', `Redis ${operation} failed: ${detail}`, { cause });
}
