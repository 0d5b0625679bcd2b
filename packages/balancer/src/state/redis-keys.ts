/**
 * Redis key layout of the shared state. Every key belongs to the prefix (`--prefix`, default
 * `mooring`), so one Redis can hold several clusters; `SCAN MATCH *<prefix>:*` finds them all.
 *
 * - `<prefix>:backends` (hash, the contract): backend id → `http://host:port` or JSON
 *   `{"url","weight","state"}`; no TTL.
 * - `{<prefix>:backends}:drains` (hash): backend id → JSON DrainRecord, removed with the backend.
 * - `{<prefix>:backends}:health` (hash): backend id → JSON HealthRecord, removed with the backend.
 * - `{<prefix>:backends}:nodes` (sorted set): node id, score = last heartbeat (ms since epoch);
 *   extended to the longest node TTL on each heartbeat, members whose info key expired pruned on read.
 * - `{<prefix>:backends}:lease:<name>` (string): the holder's node id (`health`: the active
 *   checker; `reseed`: the node re-seeding a store that lost its data); lease TTL (PX).
 * - `{<prefix>:backends}:backend-lease:<id>` (string): the holder of a leased entry's lease
 *   (`mooring backend announce`); the lease TTL (PX). The entry is alive while this key is.
 * - `{<prefix>:backends}:marker` (string): JSON StateMarker, written once by the first node on a
 *   fresh store and replaced only by a re-seed; no TTL. A store without it lost everything.
 * - `{<prefix>:backends}:rebalance` (string): JSON RebalanceRecord, the progress of the last
 *   `mooring rebalance`; its TTL (PX), renewed while it runs.
 * - `<prefix>:{node:<id>}:info` (string): JSON NodeInfo with `heartbeatAt`; node TTL (PX).
 * - `<prefix>:{node:<id>}:conns` (hash): session id → JSON ConnectionRecord; node TTL.
 * - `<prefix>:{node:<id>}:counts` (hash): backend id → live sessions of that node; node TTL.
 * - `<prefix>:events` (pub/sub channel, not a key): JSON StateEvent.
 *
 * Redis Cluster hashes a key by its hash tag, what lies between the first `{` and the next `}`.
 * The registry's name is a contract and has no tag, so the other cluster-wide keys take the
 * registry's whole name as theirs: `{mooring:backends}:drains` hashes as `mooring:backends`, the
 * slot of the registry itself. Every script and multi-key command over cluster-wide keys (a drain,
 * a removal, a re-seed, the atomic read of registry, drains and marker) therefore stays in one
 * slot. A node's keys share the tag `{node:<id>}`: one slot per node, nodes spread over the
 * cluster. No command ever mixes the two kinds. A prefix may not contain braces, which would
 * give the registry a tag of its own.
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
  /** String: the holder of a leased registry entry's lease (a name apart from `lease`: an id may be `health`). */
  backendLease(id: string): string;
  /** String: the marker that tells a store that lost its data from one that did not. */
  marker(): string;
  /** String: the progress of the last rebalance. */
  rebalance(): string;
  /** Pub/sub channel of StateEvents. */
  events(): string;
}

/**
 * Builds the key names for `prefix`. Throws on an empty prefix, which would collide with other
 * apps, and on one with braces, which would move the registry out of its own hash tag.
 */
export function redisKeys(prefix: string = DEFAULT_PREFIX): RedisKeys {
  if (prefix === '') throw new RangeError('the Redis key prefix must not be empty');
  if (/[{}]/.test(prefix)) throw new RangeError('the Redis key prefix must not contain { or }');
  const registry = `${prefix}:backends`;
  // Tagged with the registry's name: the slot of the registry itself (see above).
  const global = (what: string): string => `{${registry}}:${what}`;
  // One tag per node: the node's keys live in one slot, different nodes spread over the cluster.
  const node = (id: string, what: string): string => `${prefix}:{node:${id}}:${what}`;
  return {
    prefix,
    backends: () => registry,
    nodes: () => global('nodes'),
    nodeInfo: (id) => node(id, 'info'),
    nodeConnections: (id) => node(id, 'conns'),
    nodeCounts: (id) => node(id, 'counts'),
    health: () => global('health'),
    drains: () => global('drains'),
    lease: (name) => global(`lease:${name}`),
    backendLease: (id) => global(`backend-lease:${id}`),
    marker: () => global('marker'),
    rebalance: () => global('rebalance'),
    events: () => `${prefix}:events`,
  };
}

/**
 * Keys of the layout before Redis Cluster support, which a node moves once at start (see
 * redis-legacy-layout.ts). Their nodes index and leases are not moved: they expire on their own.
 */
export function legacyKeys(prefix: string = DEFAULT_PREFIX): { readonly drains: string; readonly health: string } {
  return { drains: `${prefix}:drains`, health: `${prefix}:health` };
}
