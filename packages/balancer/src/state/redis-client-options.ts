import type { RedisOptions } from 'ioredis';

/** Tuning of the two Redis clients; every field has a default. */
export interface RedisClientTuning {
  /** A command that gets no answer within this is rejected (Redis hung or overloaded). Default 500 ms. */
  commandTimeoutMs?: number;
  /** Longest wait for a TCP connection to Redis. Default 2 s. */
  connectTimeoutMs?: number;
}

/** Default of {@link RedisClientTuning.commandTimeoutMs}. */
export const DEFAULT_COMMAND_TIMEOUT_MS = 500;
/** Default of {@link RedisClientTuning.connectTimeoutMs}. */
export const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;

const FIRST_RECONNECT_DELAY_MS = 50;
const MAX_RECONNECT_DELAY_MS = 2_000;

/**
 * Delay before reconnection attempt `attempt` (1, 2, …): doubling from 50 ms, capped at 2 s,
 * and never giving up — a node outlives any Redis outage and picks up when it returns.
 */
export function reconnectDelay(attempt: number): number {
  return Math.min(FIRST_RECONNECT_DELAY_MS * 2 ** Math.max(0, Math.min(attempt - 1, 16)), MAX_RECONNECT_DELAY_MS);
}

/**
 * The command client fails fast (DESIGN "Dependencies"): with no offline queue, a command issued
 * while Redis is away rejects at once instead of piling up, and `commandTimeout` bounds one that
 * Redis never answers. The caller then keeps routing from its last known state.
 */
export function commandClientOptions(tuning: RedisClientTuning = {}): RedisOptions {
  return {
    lazyConnect: true,
    enableOfflineQueue: false,
    commandTimeout: tuning.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS,
    connectTimeout: tuning.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    maxRetriesPerRequest: 1,
    retryStrategy: reconnectDelay,
    connectionName: 'mooring-command',
  };
}

/**
 * The subscriber client: a connection in subscribe mode can run nothing else, hence its own.
 * ioredis re-sends SUBSCRIBE for every channel after a reconnect (`autoResubscribe`, applied
 * in its ready handler from the channels confirmed before the connection dropped).
 */
export function subscriberClientOptions(tuning: RedisClientTuning = {}): RedisOptions {
  return { ...commandClientOptions(tuning), autoResubscribe: true, connectionName: 'mooring-subscriber' };
}
