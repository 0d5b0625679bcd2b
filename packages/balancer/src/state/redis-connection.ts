import type { ChainableCommander, Cluster, Redis } from 'ioredis';
import { StateError } from './state-error.js';

/** A client of any topology: one Redis (standalone, or the master found through Sentinel) or a Cluster. */
export type RedisClient = Redis | Cluster;

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
export function watchConnection(client: RedisClient, role: 'command' | 'subscriber', logger: StateLogger): void {
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
 * rather than ioredis' bare "Connection is closed"; throws MOORING_ERR_STATE_CONNECT naming
 * `where` (the target as it may be logged: no password). `deadlineMs` bounds the whole attempt:
 * ioredis keeps asking unreachable sentinels forever, and a cluster tries each seed in turn.
 */
export async function connectOrExplain(client: RedisClient, where: string, deadlineMs: number): Promise<void> {
  let lastError: Error | undefined;
  const remember = (err: Error): void => void (lastError = err);
  client.on('error', remember);
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${deadlineMs} ms`)), deadlineMs);
  });
  const connecting = client.connect();
  connecting.catch(() => {}); // still rejects after the deadline won: handled below, not unhandled
  try {
    await Promise.race([connecting, deadline]);
  } catch (err) {
    // A failed connect leaves the retry loop running: stop it, nobody will use this client.
    client.disconnect();
    const cause = lastError ?? err;
    const detail = describeCause(cause);
    throw new StateError('MOORING_ERR_STATE_CONNECT', `cannot connect to Redis at ${where}: ${detail}`, { cause });
  } finally {
    clearTimeout(timer);
    client.off('error', remember);
  }
}

/** QUIT when connected (replies in flight are delivered), else drop the connection and its retries. */
export async function closeClient(client: RedisClient): Promise<void> {
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

/** An error's message, with the last node's error when a whole cluster failed ("Failed to refresh slots cache"). */
function describeCause(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const last = (cause as { lastNodeError?: unknown }).lastNodeError;
  return last instanceof Error ? `${cause.message} (${last.message})` : cause.message;
}
