import type { NodeInfo, StateStore } from '../state/state-store.js';
import type { ConnectionTable } from './connection-table.js';
import type { DegradedTracker } from './degraded-tracker.js';
import { PeriodicTask } from './periodic-task.js';
import { flushIntervalMs } from '../core/timings.js';

/** What a node announces besides its start time and degraded flag, read at every beat. */
export type NodeAnnouncement = Omit<NodeInfo, 'startedAt' | 'heartbeatAt' | 'degraded'>;

/** Where a {@link NodeHeartbeat} is in its life. */
export type HeartbeatState = 'idle' | 'starting' | 'running' | 'closing' | 'closed';

/** Options of {@link NodeHeartbeat}. */
export interface NodeHeartbeatOptions {
  readonly store: StateStore;
  readonly table: ConnectionTable;
  readonly tracker: DegradedTracker;
  /** The node's entry as of now: id, addresses, routable backends. */
  readonly announce: () => NodeAnnouncement;
  /** Beat period; the entry's TTL is three of them. */
  readonly intervalMs: number;
  /** Run after a beat that ends an outage, once the table is marked for re-publishing. */
  readonly onRecovered: () => Promise<void>;
  readonly now?: () => number;
  /** Batching period of connection-table writes. */
  readonly flushMs?: number;
}

/**
 * This node's presence in the shared state: its heartbeat entry, and its connection table.
 * One class for both because they are one thing in the store: the table lives and expires with
 * the entry (same TTL), the beat's outcome decides whether the next flush patches the table or
 * replaces it, and leaving (`close`) must stop both before removing them, or a late flush or
 * beat would bring the node back.
 */
export class NodeHeartbeat {
  readonly #options: NodeHeartbeatOptions;
  readonly #startedAt: number;
  readonly #beats: PeriodicTask;
  readonly #flushes: PeriodicTask;
  #intervalMs: number;
  #state: HeartbeatState = 'idle';
  #closing: Promise<void> | undefined;

  constructor(options: NodeHeartbeatOptions) {
    this.#options = options;
    this.#intervalMs = options.intervalMs;
    this.#startedAt = (options.now ?? (() => Date.now()))();
    this.#beats = new PeriodicTask(() => this.#beat());
    const { store, table, tracker } = options;
    this.#flushes = new PeriodicTask(() => tracker.guard(() => table.flush(store)));
  }

  get state(): HeartbeatState {
    return this.#state;
  }

  /** Beats once (registering the node), then beats and flushes on their timers. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'starting';
    await this.#beats.runNow();
    // close() during the first beat (SIGTERM while Redis is slow) leaves no timer.
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    this.#beats.every(this.#intervalMs);
    this.#flushes.every(this.#options.flushMs ?? flushIntervalMs);
  }

  /** SIGHUP: a new beat period. A changed one is re-armed and beats at once. */
  setInterval(ms: number): void {
    this.#intervalMs = ms;
    if (this.#state !== 'running') return;
    // A beat's TTL is three intervals of the config in force, so beat at once: a longer interval
    // must not find the entry expired (it still has the old, shorter TTL) before its first beat.
    if (this.#beats.every(ms)) void this.#beats.runNow();
  }

  /** Graceful: stops both timers, waits for a beat or flush in flight, then leaves the store. */
  close(): Promise<void> {
    this.#closing ??= this.#leave();
    return this.#closing;
  }

  /** Immediate: stops both timers; the entry and table expire on their own (TTL). */
  destroy(): void {
    this.#beats.destroy();
    this.#flushes.destroy();
    this.#state = 'closed';
  }

  async #leave(): Promise<void> {
    this.#state = 'closing';
    await Promise.all([this.#beats.close(), this.#flushes.close()]);
    await this.#options.store.removeNode(this.#options.announce().id).catch(() => {});
    this.#state = 'closed';
  }

  async #beat(): Promise<void> {
    const { store, table, tracker } = this.#options;
    const info: NodeInfo = { ...this.#options.announce(), startedAt: this.#startedAt, degraded: tracker.degraded };
    let continued = true;
    const ok = await tracker.guard(async () => {
      continued = await store.heartbeat(info, this.#intervalMs * 3);
    });
    if (!ok) return;
    // Our entry had expired (a stall longer than the TTL, or the first beat): the connection
    // table expired with it, so the next flush publishes it whole.
    if (!continued) table.markStale();
    if (!tracker.recovered()) return;
    table.markStale(); // Redis may have lost or expired the table during the outage
    await this.#options.onRecovered();
  }
}
