import type { MooringConfig } from '../config/schema.js';
import type { Backend } from '../core/backend.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type { DrainRecord, StateStore } from '../state/state-store.js';
import {
  composePieces,
  healthSettings,
  type ControlPlanePieces,
  type NodeControlPlaneOptions,
} from './control-plane-pieces.js';
import type { WorkerSnapshot } from './worker-link.js';

export type { NodeControlPlaneOptions } from './control-plane-pieces.js';

/**
 * What this node knows right now, from its last reads of the shared state and its own
 * sessions: the admin API and the metrics serve it, and it stays there while the store is down.
 */
export interface ControlPlaneView {
  readonly degraded: boolean;
  /** The membership the workers route by (static backends merged with the registry). */
  readonly backends: readonly Backend[];
  readonly drains: ReadonlyMap<string, DrainRecord>;
  /** Backends the shared health check holds down. */
  readonly unhealthy: readonly string[];
  /** Cluster-wide live sessions per backend, as last read. */
  readonly clusterLive: ReadonlyMap<string, number>;
  /** This node's live sessions. */
  readonly sessions: readonly ConnectionRecord[];
  /** Sessions opened on this node since it started. */
  readonly sessionsOpened: number;
  /** Times this node re-seeded a shared state that had lost its data. */
  readonly reseeds: number;
}

/** Where a {@link NodeControlPlane} is in its life. */
export type ControlPlaneState = 'created' | 'starting' | 'running' | 'closing' | 'closed';

/**
 * The primary's link to the shared state, composed of one piece per job: NodeHeartbeat (the
 * node's entry and connection table), RegistrySync (membership, drains, store events),
 * ClusterCounts, HealthLease and ClosePacer, all sharing one DegradedTracker, and StateRecovery,
 * which re-seeds a store that lost its data from what RegistrySync and HealthLease applied last. Workers never wait
 * on the store: when it is unreachable they keep routing from the last snapshot and the node
 * reports degraded. It knows workers only through the WorkerLink it is given.
 */
export class NodeControlPlane {
  readonly #store: StateStore;
  readonly #pieces: ControlPlanePieces;
  #config: Readonly<MooringConfig>;
  #state: ControlPlaneState = 'created';
  #starting: Promise<void> | undefined;
  #closing: Promise<void> | undefined;

  constructor(options: NodeControlPlaneOptions) {
    this.#store = options.store;
    this.#config = options.config;
    this.#pieces = composePieces(options, () => this.#config);
  }

  get state(): ControlPlaneState {
    return this.#state;
  }

  /** True while the shared state is unreachable (routing from the last known state). */
  get degraded(): boolean {
    return this.#pieces.tracker.degraded;
  }

  /** Everything a newly forked worker needs before it serves. */
  snapshot(): WorkerSnapshot {
    const { registry, health, counts, rebalance } = this.#pieces;
    return {
      backends: registry.backends,
      unhealthy: health.unhealthy,
      counts: counts.counts,
      rebalancing: rebalance.holding,
    };
  }

  /** What this node knows now (see {@link ControlPlaneView}). */
  view(): ControlPlaneView {
    const { registry, health, counts, table, tracker, recovery } = this.#pieces;
    return {
      degraded: tracker.degraded,
      backends: registry.backends,
      drains: registry.drains,
      unhealthy: health.unhealthy,
      clusterLive: counts.live,
      sessions: table.records(),
      sessionsOpened: table.openedTotal,
      reseeds: recovery.reseeds,
    };
  }

  /** Live sessions of this node. */
  liveSessions(): number {
    return this.#pieces.table.size;
  }

  /** Registers the node, reads the registry and subscribes, then arms every piece's timers. */
  start(): Promise<void> {
    this.#starting ??= this.#start();
    return this.#starting;
  }

  /**
   * SIGHUP: new static backends and settings; the registry is merged again at once, and the
   * timers whose period is configured follow the new one.
   */
  async reconfigure(config: Readonly<MooringConfig>): Promise<void> {
    this.#config = config;
    this.#pieces.heartbeat.setInterval(config.heartbeatInterval);
    await this.#pieces.health.reconfigure(healthSettings(config));
    await this.#pieces.registry.setStatic(config.backends);
  }

  /** A worker's batch of sessions opened and closed; the worker id is stamped on each record. */
  sessionsReported(worker: number, opened: readonly ConnectionRecord[], closed: readonly string[]): void {
    for (const record of opened) this.#pieces.table.opened({ ...record, worker });
    for (const id of closed) this.#pieces.table.closed(id);
  }

  /** A worker's refused, reset or timed-out connection to a backend (passive health). */
  backendFailed(backend: string): void {
    this.#pieces.health.backendFailed(backend);
  }

  /** A session moved to another worker of this node (SIGHUP handover): it lives on, held there. */
  sessionMoved(id: string, worker: number): void {
    this.#pieces.table.moved(id, worker);
  }

  /** A worker died: its sessions died with it. */
  workerExited(worker: number): void {
    this.#pieces.table.closeWorker(worker);
  }

  /** SIGTERM: close this node's sessions gently at `rate` per second, paced, from now on. */
  beginShutdown(rate: number, code: number): void {
    this.#pieces.pacer.beginShutdown(rate, code);
  }

  /**
   * Graceful: stops every timer, waits for what is in flight, leaves the nodes table, hands the
   * health lease on and closes the store. Idempotent; also safe while `start()` is running.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** Immediate: stops every timer and closes the store without waiting; entries expire by TTL. */
  destroy(): void {
    this.#state = 'closed';
    this.#closing ??= Promise.resolve();
    for (const piece of this.#owners()) piece.destroy();
    void this.#store.close().catch(() => {});
  }

  async #start(): Promise<void> {
    this.#state = 'starting';
    await this.#pieces.heartbeat.start();
    await this.#pieces.registry.start();
    // close() during the first round trips (SIGTERM while Redis is slow) leaves nothing running.
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    this.#pieces.counts.start();
    this.#pieces.health.start();
    this.#pieces.pacer.start();
  }

  async #close(): Promise<void> {
    this.#state = 'closing';
    await Promise.all(this.#owners().map((piece) => piece.close()));
    await this.#store.close().catch(() => {});
    this.#state = 'closed';
  }

  /** The pieces that own timers or a subscription. */
  #owners(): Array<{ close(): Promise<void>; destroy(): void }> {
    const { pacer, rebalance, counts, health, registry, heartbeat } = this.#pieces;
    return [pacer, rebalance, counts, health, registry, heartbeat];
  }
}
