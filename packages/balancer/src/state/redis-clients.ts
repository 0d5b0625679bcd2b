import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTarget } from '../config/redis-url.js';
import {
  commandClientOptions,
  reconnectDelay,
  subscriberClientOptions,
  type RedisClientTuning,
} from './redis-client-options.js';
import type { RedisClient } from './redis-connection.js';

/** Where the shared state lives: the parsed `--redis` URL, and what options add to it. */
export interface RedisConnectionSpec {
  readonly target: RedisTarget;
  /** PEM CA bundle trusted for `rediss://` instead of Node's own (`--redis-ca`). */
  readonly tlsCa?: string | Buffer;
  /** Password of the sentinels themselves, for `redis+sentinel://` (`--redis-sentinel-password`). */
  readonly sentinelPassword?: string;
}

/** Makes the store's two kinds of client for one topology; each call makes a new, unconnected client. */
export interface RedisClientFactory {
  command(): RedisClient;
  subscriber(): RedisClient;
}

/**
 * A connection that reached a replica which was demoted, or one that lost its master role, answers
 * writes with READONLY: reconnecting makes ioredis find the master again (Sentinel) or the slot's
 * new owner (Cluster). `true` reconnects without re-sending: the offline queue is off anyway.
 */
const reconnectOnReadOnly = (err: Error): boolean => err.message.startsWith('READONLY');

/**
 * The clients for a target. Both keep the command client's fail-fast behaviour on every topology:
 * no offline queue, a command timeout, reconnection forever with a capped backoff.
 */
export function redisClientFactory(spec: RedisConnectionSpec, tuning: RedisClientTuning = {}): RedisClientFactory {
  const { target } = spec;
  if (target.kind === 'cluster') {
    return {
      command: () => new Cluster(clusterNodes(target), clusterOptions(target, commandClientOptions(tuning))),
      subscriber: () => new Cluster(clusterNodes(target), clusterOptions(target, subscriberClientOptions(tuning))),
    };
  }
  const options = target.kind === 'sentinel' ? sentinelOptions(spec, target, tuning) : standaloneOptions(spec, target);
  return {
    command: () => new Redis({ ...commandClientOptions(tuning), ...options }),
    subscriber: () => new Redis({ ...subscriberClientOptions(tuning), ...options }),
  };
}

type Standalone = Extract<RedisTarget, { kind: 'standalone' }>;
type Sentinel = Extract<RedisTarget, { kind: 'sentinel' }>;
type ClusterTarget = Extract<RedisTarget, { kind: 'cluster' }>;

function standaloneOptions(spec: RedisConnectionSpec, target: Standalone): RedisOptions {
  const { endpoint, db, username, password } = target;
  // Node's TLS checks the certificate against `host` (SNI and identity) by default.
  const tls = target.tls ? (spec.tlsCa === undefined ? {} : { ca: spec.tlsCa }) : undefined;
  return { host: endpoint.host, port: endpoint.port, db, username, password, tls };
}

/**
 * ioredis asks the sentinels for the master, and asks again on every reconnect: a master that
 * dies drops the connection, and the reconnects (at most 2 s apart) find the promoted replica.
 * A switchover that leaves the old master running as a replica is found at the first write it
 * refuses (READONLY: reconnect). ioredis' `failoverDetector` is not used: its own connections to
 * the sentinels outlive `quit()` and print "Unhandled error event" whenever a sentinel is down.
 */
function sentinelOptions(spec: RedisConnectionSpec, target: Sentinel, tuning: RedisClientTuning): RedisOptions {
  const { sentinels, masterName, db, username, password } = target;
  // A sentinel's answer is one small reply: a sentinel that hangs longer than a connect is skipped.
  const sentinelCommandTimeout = commandClientOptions(tuning).connectTimeout;
  return {
    sentinels: sentinels.map(({ host, port }) => ({ host, port })),
    name: masterName,
    role: 'master',
    db,
    username,
    password,
    sentinelPassword: spec.sentinelPassword,
    sentinelCommandTimeout,
    sentinelRetryStrategy: reconnectDelay,
    reconnectOnError: reconnectOnReadOnly,
  };
}

function clusterNodes(target: ClusterTarget): Array<{ host: string; port: number }> {
  return target.nodes.map(({ host, port }) => ({ host, port }));
}

/**
 * ioredis' Cluster follows MOVED and ASK and refreshes its slot map itself. The fail-fast options
 * go to two places: the Cluster's own (no offline queue: a command while the cluster is not ready
 * rejects at once) and every node connection's (`commandTimeout` starts when a command is first
 * written and is never re-armed by a redirection, so it bounds the command's whole life). A
 * command whose node just died is retried every 100 ms, at most 16 times, while ioredis learns
 * the new master: that is the failover window. Reads and writes go to masters only.
 */
function clusterOptions(target: ClusterTarget, base: RedisOptions): ClusterOptions {
  const { lazyConnect, enableOfflineQueue, connectionName, commandTimeout, connectTimeout } = base;
  const { username, password } = target;
  return {
    lazyConnect,
    enableOfflineQueue,
    scaleReads: 'master',
    clusterRetryStrategy: reconnectDelay,
    retryDelayOnFailover: 100,
    retryDelayOnClusterDown: 100,
    retryDelayOnTryAgain: 100,
    maxRedirections: 16,
    slotsRefreshTimeout: connectTimeout,
    redisOptions: { username, password, commandTimeout, connectTimeout, connectionName },
  };
}
