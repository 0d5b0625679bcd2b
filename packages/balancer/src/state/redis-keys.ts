/**
 * Redis key layout of the shared state. Every key starts with the prefix (`--prefix`, default
 * `mooring`), so one Redis can hold several clusters and `SCAN MATCH <prefix>:*` finds them all.
 *
 * - `<prefix>:backends` (hash, the contract): backend id → `http://host:port` or JSON
 *   `{"url","weight","state"}`; no TTL.
 * - `<prefix>:nodes` (sorted set): node id, score = last heartbeat (ms since epoch); extended to
 *   the longest node TTL on each heartbeat, members whose info key expired pruned on read.
 * - `<prefix>:{node:<id>}:info` (string): JSON NodeInfo with `heartbeatAt`; node TTL (PX), set on
 *   each heartbeat.
 * - `<prefix>:{node:<id>}:conns` (hash): session id → JSON ConnectionRecord; node TTL, refreshed on
 *   heartbeat and on each write.
 * - `<prefix>:{node:<id>}:counts` (hash): backend id → live sessions of that node, kept equal to
 *   `conns`; TTL as `conns`.
 * - `<prefix>:health` (hash): backend id → JSON HealthRecord, removed with the backend; no TTL.
 * - `<prefix>:drains` (hash): backend id → JSON DrainRecord, removed with the backend; no TTL.
 * - `<prefix>:lease:<name>` (string): the holder's node id (`lease:health`: the active checker);
 *   lease TTL (PX), renewed by its holder only.
 * - `<prefix>:events` (pub/sub channel, not a key): JSON StateEvent.
 *
 * Redis Cluster: the node scripts touch one node's three keys only, and they share the hash
 * tag `{node:<id>}` and therefore one slot (the tag is whatever lies between the first `{` and
 * the next `}`; since the three keys begin with the same `<prefix>:{node:<id>}`, they always
 * agree even when the prefix or id contains braces). Two operations are not yet cluster-ready:
 * a drain or undrain runs one script over `backends` and `drains` (atomic: the state, the terms
 * and the announcement are one step), and `removeBackend` pipelines `backends`, `health` and
 * `drains`. Those keys carry no common tag, because the registry key `<prefix>:backends` is a
 * contract; on a cluster they would need one (e.g. a prefix that is itself a tag, `{mooring}`,
 * which puts every cluster-wide key of the prefix in one slot).
 */

/** The prefix used when none is configured. */
export const DEFAULT_PREFIX = 'mooring';

/** Names of every key of one cluster; built from the prefix, no I/O. */
export interface RedisKeys {
  readonly prefix: string;
  /** Hash: the backend registry (contract, see DESIGN "Redis layout"). */
  backends(): string;
  /** Sorted set: node ids scored by last heartbeat. */
  nodes(): string;
  /** String: a node's JSON NodeInfo, expiring with its heartbeat. */
  nodeInfo(nodeId: string): string;
  /** Hash: a node's live sessions (session id → JSON ConnectionRecord). */
  nodeConnections(nodeId: string): string;
  /** Hash: a node's live sessions per backend (backend id → count). */
  nodeCounts(nodeId: string): string;
  /** Hash: shared health (backend id → JSON HealthRecord). */
  health(): string;
  /** Hash: drains in progress (backend id → JSON DrainRecord). */
  drains(): string;
  /** String: the holder of a named lease. */
  lease(name: string): string;
  /** Pub/sub channel of StateEvents. */
  events(): string;
}

/** Builds the key names for `prefix`; throws on an empty prefix, which would collide with other apps. */
export function redisKeys(prefix: string = DEFAULT_PREFIX): RedisKeys {
  if (prefix === '') throw new RangeError('the Redis key prefix must not be empty');
  // One tag per node: the node's keys live in one slot, different nodes spread over the cluster.
  const node = (id: string, what: string): string => `${prefix}:{node:${id}}:${what}`;
  return {
    prefix,
    backends: () => `${prefix}:backends`,
    nodes: () => `${prefix}:nodes`,
    nodeInfo: (id) => node(id, 'info'),
    nodeConnections: (id) => node(id, 'conns'),
    nodeCounts: (id) => node(id, 'counts'),
    health: () => `${prefix}:health`,
    drains: () => `${prefix}:drains`,
    lease: (name) => `${prefix}:lease:${name}`,
    events: () => `${prefix}:events`,
  };
}
