import type { Logger } from 'pino';
import type { Backend } from '../core/backend.js';
import type { DrainRecord, RegisteredBackend, StateEvent, StateStore } from '../state/state-store.js';
import type { DegradedTracker } from './degraded-tracker.js';
import type { StateRecovery } from './state-recovery.js';
import { PeriodicTask } from './periodic-task.js';
import { RegistryMerge } from './registry-merge.js';
import { registryPollMs } from '../core/timings.js';
import { liveRegistry } from './lease-expiry.js';

/** How long after a lease's end its expiry is read: Redis expires a key at its time, give or take a tick. */
const leaseExpirySlackMs = 20;

/** Where a {@link RegistrySync} is in its life. */
export type RegistrySyncState = 'idle' | 'starting' | 'running' | 'closed';

/** Options of {@link RegistrySync}. */
export interface RegistrySyncOptions {
  readonly store: StateStore;
  readonly tracker: DegradedTracker;
  readonly log: Logger;
  /** The `--backend` list; the registry overrides it by id. */
  readonly staticBackends: readonly Backend[];
  /** The merged membership, each time it changes. */
  readonly onBackends: (backends: readonly Backend[]) => void;
  /** The store's other events (health), which arrive on the same subscription. */
  readonly onEvent?: (event: StateEvent) => void;
  /** Period of the safety-net poll. */
  readonly pollMs?: number;
  /**
   * Judges each read's marker before it is applied (a store that lost its data is re-seeded, not
   * applied). Absent: every read is applied.
   */
  readonly recovery?: StateRecovery;
}

/**
 * Follows the shared registry and drains: reads them at start, on every `registry-changed`
 * event (changes through `mooring` within 200 ms), and every second (raw HSET/HDEL, which
 * announce nothing, within 2 s), merges them with the static backends, and emits the
 * membership when it changed. It owns the node's one subscription to store events: pub/sub is
 * first of all how registry changes arrive; the other events are handed on through `onEvent`.
 * Reads never overlap, so an older answer never overwrites a newer one. Each read takes the
 * registry, the drains and the marker in one atomic step; a read from a store that lost its data
 * is never applied (StateRecovery re-seeds it from what was applied last, kept here).
 */
export class RegistrySync {
  readonly #options: RegistrySyncOptions;
  readonly #merge: RegistryMerge;
  readonly #reads: PeriodicTask;
  #state: RegistrySyncState = 'idle';
  #backends: readonly Backend[];
  #drains: ReadonlyMap<string, DrainRecord> = new Map();
  #registered: readonly RegisteredBackend[] = [];
  #subscription: Promise<(() => Promise<void>) | undefined> | undefined;
  #leaseTimer: NodeJS.Timeout | undefined;

  constructor(options: RegistrySyncOptions) {
    this.#options = options;
    this.#backends = options.staticBackends;
    this.#merge = new RegistryMerge(options.staticBackends, options.log);
    this.#reads = new PeriodicTask(() => options.tracker.guard(() => this.#read()));
  }

  get state(): RegistrySyncState {
    return this.#state;
  }

  /** The membership as last merged (the static backends until the first read). */
  get backends(): readonly Backend[] {
    return this.#backends;
  }

  /** Drains in progress, as last read. */
  get drains(): ReadonlyMap<string, DrainRecord> {
    return this.#drains;
  }

  /** The registry's own backends as last applied (without the static ones): what a re-seed writes back. */
  get registered(): readonly RegisteredBackend[] {
    return this.#registered;
  }

  /** Reads once, subscribes, then polls. */
  async start(): Promise<void> {
    if (this.#state !== 'idle') return;
    this.#state = 'starting';
    await this.#reads.runNow();
    // close() meanwhile: subscribe no more (close has nothing to unsubscribe from yet).
    if (this.#state !== 'starting') return;
    await this.#subscribe();
    if (this.#state !== 'starting') return;
    this.#state = 'running';
    this.#reads.every(this.#options.pollMs ?? registryPollMs);
  }

  /** Reads now (or right after the read in flight); resolves when that read is done. */
  refresh(): Promise<void> {
    return this.#reads.runNow();
  }

  /** SIGHUP: new static backends, merged again at once. */
  setStatic(backends: readonly Backend[]): Promise<void> {
    this.#merge.setStatic(backends);
    return this.refresh();
  }

  /**
   * After an outage: read again, and subscribe if the subscription never came up (the node
   * started while the store was away), so registry changes are prompt again.
   */
  async resync(): Promise<void> {
    // Not awaited: the heartbeat that called this must not wait on a subscriber's connection.
    void this.#resubscribe();
    await this.refresh();
  }

  /** Graceful: stops polling, waits for a read in flight, and unsubscribes. Idempotent. */
  async close(): Promise<void> {
    this.#state = 'closed';
    this.#armLeaseExpiry(undefined);
    await this.#reads.close();
    await this.#unsubscribe();
  }

  /** Immediate: stops polling and drops the subscription without waiting. */
  destroy(): void {
    this.#state = 'closed';
    this.#armLeaseExpiry(undefined);
    this.#reads.destroy();
    void this.#unsubscribe();
  }

  async #read(): Promise<void> {
    const { store, log, onBackends, recovery } = this.#options;
    const { registry, drains, marker, leases } = await store.readShared();
    // A store that lost its data: keep routing from what was applied; the re-seed announces itself.
    if (recovery && !(await recovery.admit(marker))) return;
    // A leased entry whose lease lapsed is absent: no new session goes to it, no re-seed brings it back.
    const { live, lapsed, nextExpiryMs } = liveRegistry(registry, leases);
    this.#armLeaseExpiry(nextExpiryMs);
    if (lapsed.length > 0) void this.#purge(lapsed);
    this.#drains = drains;
    this.#registered = live.backends;
    const merged = this.#merge.apply(live);
    if (!merged) return;
    this.#backends = merged;
    const listed = merged.map(({ id, url, state }) => `${id}=${url}${state === 'draining' ? ' (draining)' : ''}`);
    log.info({ backends: listed }, 'backends changed');
    onBackends(merged);
  }

  /**
   * Reads again when the first live lease would run out unrenewed, so an announcer that died
   * stops getting new sessions when its lease ends rather than up to a poll later. A renewal
   * meanwhile pushes the next read further on. One timer at a time.
   */
  #armLeaseExpiry(inMs: number | undefined): void {
    clearTimeout(this.#leaseTimer);
    this.#leaseTimer = undefined;
    if (inMs === undefined || this.#state === 'closed') return;
    this.#leaseTimer = setTimeout(() => void this.refresh(), inMs + leaseExpirySlackMs);
  }

  /** Removes lapsed leased entries from the store (every node may try; the script keeps it once). */
  async #purge(ids: readonly string[]): Promise<void> {
    const { store, tracker, log } = this.#options;
    await tracker.guard(async () => {
      const removed = await store.purgeLapsedLeases(ids);
      if (removed.length > 0) log.info({ backends: removed }, 'removed backends whose lease expired');
    });
  }

  #subscribe(): Promise<unknown> {
    const { store, tracker } = this.#options;
    let unsubscribe: (() => Promise<void>) | undefined;
    const subscribing = tracker.guard(async () => {
      unsubscribe = await store.subscribe((event) => this.#onEvent(event));
    });
    this.#subscription = subscribing.then(() => unsubscribe);
    return this.#subscription;
  }

  async #resubscribe(): Promise<void> {
    const current = this.#subscription;
    if (this.#state !== 'running' || (await current) !== undefined) return;
    // Another resync, or close(), came first.
    if (this.#subscription !== current || this.#state !== 'running') return;
    await this.#subscribe();
  }

  async #unsubscribe(): Promise<void> {
    const unsubscribe = await this.#subscription;
    this.#subscription = undefined;
    await unsubscribe?.().catch(() => {});
  }

  #onEvent(event: StateEvent): void {
    if (this.#state === 'closed') return;
    if (event.type === 'registry-changed') void this.refresh();
    else this.#options.onEvent?.(event);
  }
}
