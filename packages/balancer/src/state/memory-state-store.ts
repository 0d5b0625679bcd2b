import {
  judgeAnnounce,
  operatorWriteRefused,
  type BackendLease,
  type LeaseOutcome,
  type LeaseSituation,
} from './backend-lease.js';
import { compareConnections, compareText } from './state-codec.js';
import { validateBackend } from './registry-entry.js';
import { DEFAULT_ORPHAN_TTL_MS } from './state-defaults.js';
import { StateError } from './state-error.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type {
  DrainRecord,
  HealthRecord,
  LiveCounts,
  NodeInfo,
  RebalanceRecord,
  RegisteredBackend,
  RegistrySnapshot,
  SharedSnapshot,
  StateEvent,
  StateMarker,
  StateSeed,
  StateStore,
} from './state-store.js';

type Listener = (event: StateEvent) => void;

/** What stores sharing one in-memory "server" see; the equivalent of one Redis database. */
interface MemoryData {
  readonly backends: Map<string, RegisteredBackend>;
  readonly nodes: Map<string, { info: NodeInfo; expiresAt: number }>;
  readonly tables: Map<string, { conns: Map<string, ConnectionRecord>; expiresAt: number }>;
  readonly leases: Map<string, { holder: string; expiresAt: number }>;
  /** Leases of leased registry entries, by backend id (Redis: one key each). */
  readonly backendLeases: Map<string, { holder: string; expiresAt: number }>;
  readonly health: Map<string, HealthRecord>;
  readonly drains: Map<string, DrainRecord>;
  marker: StateMarker | undefined;
  rebalance: { record: RebalanceRecord; expiresAt: number } | undefined;
  readonly listeners: Set<Listener>;
}

/** Options of {@link MemoryStateStore}. */
export interface MemoryStateStoreOptions {
  /** Clock for every TTL (heartbeats, leases); tests inject one they can advance. Default Date.now. */
  now?: () => number;
  /**
   * Share the state of another store, as two processes share one Redis: lets in-process tests
   * run several "nodes". Default: a fresh, private state.
   */
  shareWith?: MemoryStateStore;
  /** How long a connection table written for a node with no live heartbeat is kept (never counted meanwhile). */
  orphanTtlMs?: number;
  /** Called when a subscriber throws; handlers must not, but one that does never stops the others. */
  onListenerError?: (err: unknown) => void;
}

/**
 * The embedded StateStore of a node without Redis: same semantics as RedisStateStore (TTLs on an
 * injectable clock, events delivered asynchronously) so the contract suite runs against both.
 * Expired entries are swept lazily on access, so it needs no timers.
 */
export class MemoryStateStore implements StateStore {
  /** Always true: memory never goes away. */
  readonly available = true;
  readonly reconnects = 0;
  readonly #data: MemoryData;
  readonly #now: () => number;
  readonly #orphanTtlMs: number;
  readonly #onListenerError: (err: unknown) => void;
  readonly #ownListeners = new Set<Listener>();
  #closed = false;

  constructor(options: MemoryStateStoreOptions = {}) {
    this.#now = options.now ?? Date.now;
    this.#orphanTtlMs = options.orphanTtlMs ?? DEFAULT_ORPHAN_TTL_MS;
    this.#onListenerError = options.onListenerError ?? (() => undefined);
    this.#data = (options.shareWith ? options.shareWith.#data : undefined) ?? {
      backends: new Map(),
      nodes: new Map(),
      tables: new Map(),
      leases: new Map(),
      backendLeases: new Map(),
      health: new Map(),
      drains: new Map(),
      marker: undefined,
      rebalance: undefined,
      listeners: new Set(),
    };
  }

  /**
   * Forgets everything but the subscriptions, for every store sharing this state: what a Redis
   * restarted without persistence looks like to its clients. For tests of data-loss recovery.
   */
  clear(): void {
    const data = this.#data;
    const maps = [data.backends, data.nodes, data.tables, data.leases, data.backendLeases, data.health, data.drains];
    for (const map of maps) map.clear();
    data.marker = undefined;
    data.rebalance = undefined;
  }

  async readRegistry(): Promise<RegistrySnapshot> {
    this.#assertOpen();
    const backends = [...this.#data.backends.values()].sort((a, b) => compareText(a.id, b.id));
    return { backends, malformed: [] };
  }

  async putBackend(backend: RegisteredBackend): Promise<boolean> {
    this.#assertOpen();
    const valid = validateBackend(backend);
    if (operatorWriteRefused(this.#leaseSituation(valid.id))) return false;
    this.#data.backends.set(valid.id, valid);
    this.#data.backendLeases.delete(valid.id);
    await this.publish({ type: 'registry-changed' });
    return true;
  }

  async removeBackend(id: string): Promise<boolean> {
    this.#assertOpen();
    this.#data.backendLeases.delete(id);
    const removed = this.#data.backends.delete(id);
    // Its health would otherwise outlive it (the Redis store drops the field too).
    this.#data.health.delete(id);
    this.#data.drains.delete(id);
    if (removed) await this.publish({ type: 'registry-changed' });
    return removed;
  }

  // Atomic here by construction, as the Redis script is.
  async leaseBackend(backend: RegisteredBackend, lease: BackendLease): Promise<LeaseOutcome> {
    this.#assertOpen();
    const valid = { ...validateBackend({ ...backend, state: 'active' }), lease: { ...lease } };
    const situation = this.#leaseSituation(valid.id);
    const outcome = judgeAnnounce(situation, lease.holder);
    if (outcome === 'operator' || outcome === 'held') return outcome;
    this.#data.backendLeases.set(valid.id, { holder: lease.holder, expiresAt: this.#now() + lease.ttlMs });
    if (outcome === 'created') {
      this.#data.backends.set(valid.id, valid);
      this.#data.drains.delete(valid.id);
      if (situation.registered) this.#data.health.delete(valid.id);
    }
    if (outcome === 'created' || !situation.leaseAlive) await this.publish({ type: 'registry-changed' });
    return outcome;
  }

  async releaseBackendLease(id: string, holder: string): Promise<boolean> {
    this.#assertOpen();
    if (this.#data.backends.get(id)?.lease?.holder !== holder) return false;
    return this.removeBackend(id);
  }

  async readLeases(): Promise<Map<string, number>> {
    this.#assertOpen();
    const now = this.#now();
    const remaining = new Map<string, number>();
    for (const [id, backend] of this.#data.backends) {
      const expiresAt = this.#data.backendLeases.get(id)?.expiresAt ?? 0;
      if (backend.lease && expiresAt > now) remaining.set(id, expiresAt - now);
    }
    return remaining;
  }

  async purgeLapsedLeases(ids: readonly string[]): Promise<string[]> {
    this.#assertOpen();
    const removed = ids.filter((id) => {
      const situation = this.#leaseSituation(id);
      if (situation.holder === undefined || situation.leaseAlive) return false;
      for (const map of [this.#data.backends, this.#data.backendLeases, this.#data.drains, this.#data.health]) {
        map.delete(id);
      }
      return true;
    });
    if (removed.length > 0) await this.publish({ type: 'registry-changed' });
    return removed;
  }

  async readDrains(): Promise<Map<string, DrainRecord>> {
    this.#assertOpen();
    return new Map(this.#data.drains);
  }

  // Atomic here by construction: nothing else runs between the synchronous updates.
  async drainBackend(id: string, drain: DrainRecord): Promise<DrainRecord | undefined> {
    this.#assertOpen();
    const backend = this.#data.backends.get(id);
    if (!backend) return undefined;
    const recorded = { ...drain, startedAt: this.#data.drains.get(id)?.startedAt ?? drain.startedAt };
    this.#data.drains.set(id, recorded);
    this.#data.backends.set(id, { ...backend, state: 'draining' });
    await this.publish({ type: 'registry-changed' });
    return { ...recorded };
  }

  async undrainBackend(id: string): Promise<boolean> {
    this.#assertOpen();
    const backend = this.#data.backends.get(id);
    if (!backend) return false;
    this.#data.drains.delete(id);
    this.#data.backends.set(id, { ...backend, state: 'active' });
    await this.publish({ type: 'registry-changed' });
    return true;
  }

  async heartbeat(node: NodeInfo, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const now = this.#now();
    const expiresAt = now + ttlMs;
    const previous = this.#data.nodes.get(node.id);
    const continued = previous !== undefined && previous.expiresAt > now;
    // An expired node's table expired with it, as in Redis.
    if (previous && !continued) this.#data.tables.delete(node.id);
    this.#data.nodes.set(node.id, { info: { ...node, heartbeatAt: now }, expiresAt });
    const table = this.#data.tables.get(node.id);
    if (table) table.expiresAt = expiresAt;
    return continued;
  }

  async listNodes(): Promise<NodeInfo[]> {
    this.#assertOpen();
    this.#sweep();
    return [...this.#data.nodes.values()].map((entry) => entry.info).sort((a, b) => compareText(a.id, b.id));
  }

  async removeNode(id: string): Promise<void> {
    this.#assertOpen();
    this.#data.nodes.delete(id);
    this.#data.tables.delete(id);
  }

  async recordConnections(node: string, opened: readonly ConnectionRecord[], closed: readonly string[]): Promise<void> {
    this.#assertOpen();
    const conns = this.#tableOf(node);
    // Opened first, then closed: a session that opened and closed within one batch is gone.
    for (const record of opened) conns.set(record.id, { ...record });
    for (const id of closed) conns.delete(id);
  }

  async replaceConnections(node: string, live: readonly ConnectionRecord[]): Promise<void> {
    this.#assertOpen();
    this.#data.tables.delete(node);
    const conns = this.#tableOf(node);
    for (const record of live) conns.set(record.id, { ...record });
  }

  async listConnections(filter: { backend?: string; node?: string } = {}): Promise<ConnectionRecord[]> {
    this.#assertOpen();
    const records: ConnectionRecord[] = [];
    for (const [node, conns] of this.#liveTables()) {
      if (filter.node !== undefined && node !== filter.node) continue;
      for (const record of conns.values()) {
        if (filter.backend === undefined || record.backend === filter.backend) records.push(record);
      }
    }
    return records.sort(compareConnections);
  }

  async liveCounts(): Promise<LiveCounts> {
    this.#assertOpen();
    const total = new Map<string, number>();
    const perNode = new Map<string, Map<string, number>>();
    for (const [node, conns] of this.#liveTables()) {
      const counts = new Map<string, number>();
      for (const record of conns.values()) {
        counts.set(record.backend, (counts.get(record.backend) ?? 0) + 1);
        total.set(record.backend, (total.get(record.backend) ?? 0) + 1);
      }
      perNode.set(node, counts);
    }
    return { total, perNode };
  }

  async acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    this.#assertOpen();
    const now = this.#now();
    const lease = this.#data.leases.get(name);
    if (lease && lease.expiresAt > now && lease.holder !== holder) return false;
    this.#data.leases.set(name, { holder, expiresAt: now + ttlMs });
    return true;
  }

  async releaseLease(name: string, holder: string): Promise<void> {
    this.#assertOpen();
    const lease = this.#data.leases.get(name);
    if (lease && lease.holder === holder) this.#data.leases.delete(name);
  }

  async writeHealth(records: ReadonlyMap<string, HealthRecord>): Promise<void> {
    this.#assertOpen();
    for (const [backend, record] of records) this.#data.health.set(backend, { ...record });
  }

  async readHealth(): Promise<Map<string, HealthRecord>> {
    this.#assertOpen();
    return new Map(this.#data.health);
  }

  async readShared(): Promise<SharedSnapshot> {
    const [registry, drains, leases] = [await this.readRegistry(), await this.readDrains(), await this.readLeases()];
    return { registry, drains, marker: this.#data.marker, leases };
  }

  async claimMarker(marker: StateMarker): Promise<StateMarker> {
    this.#assertOpen();
    this.#data.marker ??= marker;
    return this.#data.marker;
  }

  // Atomic here by construction, as the Redis script is: nothing else runs between the updates.
  async reseed(seed: StateSeed, marker: StateMarker, expected: string | undefined): Promise<boolean> {
    this.#assertOpen();
    const valid = seed.backends.map((backend) => ({ ...validateBackend(backend), lease: backend.lease }));
    if (this.#data.marker?.id !== expected) return false;
    for (const { lease, ...backend } of valid) {
      if (this.#data.backends.has(backend.id)) continue;
      this.#data.backends.set(backend.id, lease ? { ...backend, lease } : backend);
      // A leased backend comes back for one TTL, as in Redis (reseedScript).
      const expiresAt = this.#now() + (lease?.ttlMs ?? 0);
      if (lease) this.#data.backendLeases.set(backend.id, { holder: lease.holder, expiresAt });
      const drain = backend.state === 'draining' ? seed.drains.get(backend.id) : undefined;
      if (drain && !this.#data.drains.has(backend.id)) this.#data.drains.set(backend.id, { ...drain });
    }
    for (const [id, record] of seed.health) if (!this.#data.health.has(id)) this.#data.health.set(id, { ...record });
    this.#data.marker = marker;
    await this.publish({ type: 'registry-changed' });
    await this.publish({ type: 'health-changed' });
    return true;
  }

  async writeRebalance(record: RebalanceRecord, ttlMs: number): Promise<void> {
    this.#assertOpen();
    this.#data.rebalance = { record: structuredClone(record), expiresAt: this.#now() + ttlMs };
  }

  async readRebalance(): Promise<RebalanceRecord | undefined> {
    this.#assertOpen();
    const entry = this.#data.rebalance;
    return entry && entry.expiresAt > this.#now() ? structuredClone(entry.record) : undefined;
  }

  async publish(event: StateEvent): Promise<void> {
    this.#assertOpen();
    const listeners = [...this.#data.listeners];
    // Asynchronous like Redis pub/sub: a listener never runs inside the publisher's call.
    queueMicrotask(() => {
      for (const listener of listeners) this.#deliver(listener, event);
    });
  }

  async subscribe(listener: Listener): Promise<() => Promise<void>> {
    this.#assertOpen();
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const wrapped: Listener = (event) => listener(event);
    this.#data.listeners.add(wrapped);
    this.#ownListeners.add(wrapped);
    return async () => {
      this.#data.listeners.delete(wrapped);
      this.#ownListeners.delete(wrapped);
    };
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const listener of this.#ownListeners) this.#data.listeners.delete(listener);
    this.#ownListeners.clear();
  }

  #deliver(listener: Listener, event: StateEvent): void {
    // Unsubscribed between publish and delivery: Redis would not deliver either.
    if (!this.#data.listeners.has(listener)) return;
    try {
      listener(event);
    } catch (err) {
      this.#onListenerError(err);
    }
  }

  #leaseSituation(id: string): LeaseSituation {
    const entry = this.#data.backends.get(id);
    const lease = this.#data.backendLeases.get(id);
    return {
      registered: entry !== undefined,
      holder: entry?.lease?.holder,
      leaseAlive: lease !== undefined && lease.expiresAt > this.#now(),
    };
  }

  /** The connection table of `node`, created if needed; it expires with the node's heartbeat. */
  #tableOf(node: string): Map<string, ConnectionRecord> {
    this.#sweep();
    let table = this.#data.tables.get(node);
    if (!table) {
      table = { conns: new Map(), expiresAt: 0 };
      this.#data.tables.set(node, table);
    }
    table.expiresAt = this.#data.nodes.get(node)?.expiresAt ?? this.#now() + this.#orphanTtlMs;
    return table.conns;
  }

  /** The table of every live node (empty when it has none): a dead node's sessions are never counted. */
  *#liveTables(): Iterable<[string, ReadonlyMap<string, ConnectionRecord>]> {
    this.#sweep();
    for (const node of [...this.#data.nodes.keys()].sort(compareText)) {
      yield [node, this.#data.tables.get(node)?.conns ?? new Map()];
    }
  }

  /** Drops what has expired, as Redis would have. */
  #sweep(): void {
    const now = this.#now();
    for (const [id, entry] of this.#data.nodes) if (entry.expiresAt <= now) this.#data.nodes.delete(id);
    for (const [id, table] of this.#data.tables) if (table.expiresAt <= now) this.#data.tables.delete(id);
    for (const [name, lease] of this.#data.leases) if (lease.expiresAt <= now) this.#data.leases.delete(name);
  }

  #assertOpen(): void {
    if (this.#closed) throw new StateError('MOORING_ERR_STATE_CLOSED');
  }
}
