import type { Backend } from '../core/backend.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type { BackendLease, LeaseOutcome } from './backend-lease.js';

/**
 * A backend as registered in the shared registry (`<prefix>:backends`): an operator's entry, or
 * one an announcer keeps alive with a lease (`lease` set; see backend-lease.ts).
 */
export type RegisteredBackend = Backend & { readonly lease?: BackendLease };

/** A registry entry that could not be used, reported once so an operator can fix it. */
export interface MalformedEntry {
  readonly id: string;
  readonly raw: string;
  readonly reason: string;
}

/** The registry as read: the usable backends, and what was skipped. */
export interface RegistrySnapshot {
  readonly backends: readonly RegisteredBackend[];
  readonly malformed: readonly MalformedEntry[];
}

/** A Mooring node as it announces itself. */
export interface NodeInfo {
  readonly id: string;
  /** Milliseconds since the epoch of the node's start. */
  readonly startedAt: number;
  /** Milliseconds since the epoch of the last heartbeat (set by the store on heartbeat). */
  readonly heartbeatAt?: number;
  readonly pid: number;
  readonly listen: string;
  readonly admin: string;
  readonly degraded?: boolean;
  /** Backends this node would route a new session to now (registered, active, healthy). */
  readonly routable?: readonly string[];
  /**
   * How it routes a reconnecting session: `hash` (consistent hashing without bounded loads: back to
   * the same backend, which `mooring rebalance` warns about), or `load` (by load or cookie).
   */
  readonly placement?: 'hash' | 'load';
}

/** A drain in progress: the backend's registry state is `draining`, and these are its terms. */
export interface DrainRecord {
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  /** From this moment the remaining sessions are closed, paced. */
  readonly deadlineAt: number;
  /** Closes per second, cluster-wide, after the deadline. */
  readonly closeRate: number;
  /** WebSocket close code sent to clients (1012 Service Restart by default). */
  readonly closeCode: number;
}

/** Live sessions per backend, cluster-wide and per node. */
export interface LiveCounts {
  /** backend id → live sessions summed over every live node. */
  readonly total: ReadonlyMap<string, number>;
  /** node id → backend id → live sessions. */
  readonly perNode: ReadonlyMap<string, ReadonlyMap<string, number>>;
}

/** Shared health of one backend, as the checker holding the lease last saw it. */
export interface HealthRecord {
  readonly healthy: boolean;
  /** Milliseconds since the epoch of the last state change. */
  readonly since: number;
  /** Node that wrote this record. */
  readonly checkedBy: string;
  /** Consecutive passes (when healthy) or failures (when not). */
  readonly streak: number;
}

/**
 * The marker of one shared state (`{<prefix>:backends}:marker` in Redis): written once on a fresh
 * store and replaced only by a re-seed. A store without it, or with one that a node cannot trace
 * back to the marker it knew, has lost its data (a restart without persistence, a failover to an
 * empty replica).
 */
export interface StateMarker {
  /** Random, unique per marker. */
  readonly id: string;
  /** Node that wrote it. */
  readonly by: string;
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Written by a re-seed (true), or on a fresh store (false). */
  readonly reseeded: boolean;
  /** Ids of the markers this one replaces: a node that knew one of them knows this state too. */
  readonly covers: readonly string[];
}

/** The registry, drains and marker, read in one atomic step: what a node applies. */
export interface SharedSnapshot {
  readonly registry: RegistrySnapshot;
  readonly drains: Map<string, DrainRecord>;
  /** Absent: a fresh store, or one that lost its data. */
  readonly marker: StateMarker | undefined;
  /**
   * Leased entries whose lease is alive → milliseconds it has left (read just after the rest: a
   * lease that lapses in between reads as lapsed, which is what it is a moment later). A leased
   * entry missing here has lapsed: no new session goes to it.
   */
  readonly leases: ReadonlyMap<string, number>;
}

/** What a node re-seeds a store that lost its data with: the registry, drains and health it last applied. */
export interface StateSeed {
  readonly backends: readonly RegisteredBackend[];
  readonly drains: ReadonlyMap<string, DrainRecord>;
  readonly health: ReadonlyMap<string, HealthRecord>;
}

/** Sessions of one node that a rebalance asks it to close. */
export interface RebalanceCloses {
  readonly node: string;
  readonly ids: readonly string[];
}

/**
 * What `mooring rebalance` announces: every node holds cookie pins to backends above their share
 * for `holdMs` from now (0: the rebalance is over), and each closes the sessions listed for it,
 * gently with `code`, spread over one close tick.
 */
export interface RebalanceEvent {
  readonly type: 'rebalance';
  readonly holdMs: number;
  readonly code: number;
  readonly closes: readonly RebalanceCloses[];
}

/** A change announced to every node (pub/sub in Redis, direct in memory). */
export type StateEvent =
  | { readonly type: 'registry-changed' }
  | { readonly type: 'health-changed' }
  | { readonly type: 'passive-failure'; readonly backend: string; readonly node: string }
  | RebalanceEvent;

/** One backend in a rebalance's progress: live sessions, weighted share and bounds, still to move. */
export interface RebalanceBackend {
  readonly id: string;
  readonly live: number;
  readonly share: number;
  readonly low: number;
  readonly high: number;
  readonly move: number;
}

/**
 * A rebalance's progress as `mooring rebalance` writes it (`{<prefix>:backends}:rebalance`, with a
 * TTL so that a rebalance whose command died stops showing as running), for `mooring status`.
 */
export interface RebalanceRecord {
  readonly state: 'running' | 'balanced' | 'stopped';
  /** The node running it (`--auto-rebalance`); absent: `mooring rebalance`. */
  readonly by?: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly updatedAt: number;
  /** `--for`: when it stops even if not balanced. */
  readonly endsAt?: number;
  /** A fraction: 0.1 for 10 %. */
  readonly tolerance: number;
  /** Closes per second, cluster-wide. */
  readonly rate: number;
  readonly minAgeMs: number;
  /** Sessions asked to close so far. */
  readonly closed: number;
  /** Sessions still to move by the last plan. */
  readonly remaining: number;
  readonly backends: readonly RebalanceBackend[];
}

/**
 * Everything the nodes of one cluster share. Two implementations: in memory (one node, the
 * embedded default) and Redis; both pass the same contract suite (describeStateStore).
 * Every method may reject (Redis down, timeout); callers keep their last known state then.
 */
export interface StateStore {
  // Registry
  readRegistry(): Promise<RegistrySnapshot>;
  /**
   * Adds or replaces a backend as an operator's entry (a `lease` given is not written), and
   * announces the change, in one atomic step. Resolves false, having written nothing, when the id
   * is held by an announcer's live lease; over a lapsed one it writes (the lease is dropped).
   */
  putBackend(backend: RegisteredBackend): Promise<boolean>;
  /** Removes a backend (and its lease, if it is leased); false when it was not registered. */
  removeBackend(id: string): Promise<boolean>;

  // Leased self-registration (`mooring backend announce`)
  /**
   * Announces or renews `backend` under `lease`, in one atomic step (judgeAnnounce): writes the
   * entry when it is absent or another announcer's lease lapsed, renews the lease when it is
   * `lease.holder`'s (the entry itself untouched, so a drain stays), and changes nothing over an
   * operator's entry or another announcer's live lease. Announces `registry-changed` when the
   * entry was written or its lapsed lease came back.
   */
  leaseBackend(backend: RegisteredBackend, lease: BackendLease): Promise<LeaseOutcome>;
  /**
   * Removes a leased entry (with its lease, drain and health) and announces it, only if `holder`
   * holds it; false (nothing written) otherwise.
   */
  releaseBackendLease(id: string, holder: string): Promise<boolean>;
  /** Leased entries whose lease is alive → milliseconds it has left. */
  readLeases(): Promise<Map<string, number>>;
  /**
   * Removes those of `ids` that are still leased entries whose lease has lapsed (checked in the
   * same atomic step, so a renewal meanwhile keeps its entry), with their drain and health, and
   * announces it. Resolves with the ids removed.
   */
  purgeLapsedLeases(ids: readonly string[]): Promise<string[]>;

  // Drains
  readDrains(): Promise<Map<string, DrainRecord>>;
  /**
   * Starts (or re-terms) a drain in one atomic step: records `drain` (keeping the `startedAt`
   * of a drain already in progress), sets the backend's registry state to `draining` and
   * announces one `registry-changed`. Nodes never see the state without the terms, nor a
   * change without its announcement. Resolves with the drain as recorded, or undefined
   * (nothing written) when the backend is not registered.
   */
  drainBackend(id: string, drain: DrainRecord): Promise<DrainRecord | undefined>;
  /**
   * Ends a drain in one atomic step: removes its terms, sets the registry state to `active`
   * and announces one `registry-changed`. Resolves false (nothing written) when the backend
   * is not registered.
   */
  undrainBackend(id: string): Promise<boolean>;

  // Nodes
  /**
   * Registers or refreshes a node; its entry (and its connections) expire after `ttlMs` without a
   * heartbeat. Resolves false when the node was not registered (first beat, or it had expired:
   * its connection table is gone and must be published again).
   */
  heartbeat(node: NodeInfo, ttlMs: number): Promise<boolean>;
  /** Nodes whose heartbeat has not expired. */
  listNodes(): Promise<NodeInfo[]>;
  /** Removes a node and its connection table at once (clean shutdown). */
  removeNode(id: string): Promise<void>;

  // Connection table
  /** Applies a batch of opened and closed sessions of one node in one round trip. */
  recordConnections(node: string, opened: readonly ConnectionRecord[], closed: readonly string[]): Promise<void>;
  /** Replaces a node's whole table (after Redis comes back, or on start). */
  replaceConnections(node: string, live: readonly ConnectionRecord[]): Promise<void>;
  /** Live sessions of every live node. */
  listConnections(filter?: { backend?: string; node?: string }): Promise<ConnectionRecord[]>;
  /** Live counts per backend over every live node (a dead node's sessions are not counted). */
  liveCounts(): Promise<LiveCounts>;

  // Health
  /** Takes or renews a lease; true when `holder` holds it for the next `ttlMs`. */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean>;
  /** Gives a held lease up (clean shutdown), so another node takes it at once. */
  releaseLease(name: string, holder: string): Promise<void>;
  writeHealth(records: ReadonlyMap<string, HealthRecord>): Promise<void>;
  readHealth(): Promise<Map<string, HealthRecord>>;

  // Marker and re-seed (recovery from a store that lost its data)
  /** The registry, the drains and the marker in one atomic read, so they never disagree. */
  readShared(): Promise<SharedSnapshot>;
  /** Writes `marker` unless the store has one; resolves with the marker in force. */
  claimMarker(marker: StateMarker): Promise<StateMarker>;
  /**
   * Re-seeds a store that lost its data, in one atomic step, only if its marker is still the one
   * the caller read (`expected`: that marker's id, undefined for none): adds each backend of `seed`
   * the registry lacks (with its drain terms) and each health record the store lacks, overwriting
   * nothing that is there; writes `marker`; announces `registry-changed` and `health-changed`. A
   * leased backend comes back with its lease for one full TTL (its announcer, if alive, renews it;
   * if dead, the entry lapses then), never for good.
   * Resolves false, having written nothing, when the marker had changed meanwhile.
   */
  reseed(seed: StateSeed, marker: StateMarker, expected: string | undefined): Promise<boolean>;

  // Rebalance progress (`mooring rebalance`, read by `mooring status`)
  /** Writes the progress of the rebalance in course, expiring after `ttlMs` unless written again. */
  writeRebalance(record: RebalanceRecord, ttlMs: number): Promise<void>;
  /** The last rebalance's progress, if it has not expired. */
  readRebalance(): Promise<RebalanceRecord | undefined>;

  // Events
  publish(event: StateEvent): Promise<void>;
  /** Subscribes to events from every node (including this one); returns an unsubscribe function. */
  subscribe(listener: (event: StateEvent) => void): Promise<() => Promise<void>>;

  /** Whether the last command reached the store (false while Redis is down). */
  readonly available: boolean;
  /** Times the connection to the store came back after it was lost (0 for the in-memory store). */
  readonly reconnects: number;
  close(): Promise<void>;
}
