import type { Backend, Candidate } from '../core/backend.js';
import { PoolEntry } from './pool-entry.js';
import { byId, sameEntries, type RoutableSet } from './routable-set.js';

/**
 * One worker's view of its backends: membership, live sessions, and passive health (a backend
 * that refused or reset is passed over for a while). The clock is injected so tests control time.
 *
 * Routing reads it through `routable()`, which costs nothing per request: the set of eligible
 * backends is recomputed when an input changes (membership, the health verdict, a passive failure
 * or recovery, the end of a penalty), not per call, and live counts are read from the entries.
 */
export class BackendPool {
  /** Entries in registry order (what `candidates()` lists). */
  readonly #entries = new Map<string, PoolEntry>();
  #inOrder: PoolEntry[] = [];
  #sorted: PoolEntry[] = [];
  #view: RoutableSet | undefined;
  #membership = 0;
  #generation = 0;
  /** The earliest end of a running penalty: the next time health changes by itself. */
  #nextExpiry = Infinity;
  #unhealthy: ReadonlySet<string> = new Set();
  #rebalancing = false;
  readonly #now: () => number;
  readonly #onFailure: (id: string) => void;

  /** `onFailure` hears every passive failure, so the node can share it (DESIGN "Health"). */
  constructor(options: { now?: () => number; onFailure?: (id: string) => void } = {}) {
    this.#now = options.now ?? Date.now;
    this.#onFailure = options.onFailure ?? (() => {});
  }

  /** Replaces the membership; live counts and health of backends that stay are kept. */
  setBackends(backends: readonly Backend[]): void {
    const next = new Map<string, PoolEntry>();
    let reshaped = false;
    for (const backend of backends) {
      const previous = this.#entries.get(backend.id);
      if (previous === undefined || previous.backend.weight !== backend.weight) reshaped = true;
      const entry = next.get(backend.id) ?? previous ?? new PoolEntry(backend, !this.#unhealthy.has(backend.id));
      entry.backend = backend;
      next.set(backend.id, entry);
    }
    if (next.size !== this.#entries.size) reshaped = true;
    this.#entries.clear();
    for (const [id, entry] of next) this.#entries.set(id, entry);
    this.#inOrder = [...next.values()];
    // Sorted once per membership change; every router reads this order.
    this.#sorted = [...this.#inOrder].sort(byId);
    if (reshaped) this.#membership++;
    this.#refresh();
  }

  get(id: string): Backend | undefined {
    return this.#entries.get(id)?.backend;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** The current generation of eligible backends (see RoutableSet). */
  routable(): RoutableSet {
    if (this.#nextExpiry !== Infinity && this.#now() >= this.#nextExpiry) this.#refresh();
    return this.#view ?? this.#refresh();
  }

  /**
   * Every backend with its load and health, in registry order. When passive health has passed
   * over all of them, they are all offered anyway (as NGINX does when every peer failed): a guess
   * beats a 503. The entries are live: their counts follow the pool.
   */
  candidates(): readonly Candidate[] {
    this.routable();
    return this.#inOrder;
  }

  /**
   * Applies a snapshot of cluster-wide live sessions per backend, which counted `counted` of this
   * worker's own (what its reports had told the primary). Until the next one, the worker's
   * sessions beyond those are added to it, so a burst of new sessions spreads even before the
   * shared table catches up, and none is lost for being opened while the snapshot travelled.
   */
  setClusterCounts(total: ReadonlyMap<string, number>, counted: ReadonlyMap<string, number>): void {
    for (const [id, entry] of this.#entries) entry.snapshot(total.get(id) ?? 0, counted.get(id) ?? 0);
  }

  /** Applies the shared active health check's verdict: these backends take no new sessions. */
  setUnhealthy(unhealthy: ReadonlySet<string>): void {
    this.#unhealthy = unhealthy;
    for (const [id, entry] of this.#entries) entry.checkedHealthy = !unhealthy.has(id);
    this.#refresh();
  }

  /** Whether a rebalance holds the node: cookie pins to backends above their share are not honoured. */
  get rebalancing(): boolean {
    return this.#rebalancing;
  }

  setRebalancing(holding: boolean): void {
    this.#rebalancing = holding;
  }

  acquire(id: string): void {
    this.#entries.get(id)?.acquire();
  }

  release(id: string): void {
    this.#entries.get(id)?.release();
  }

  /** Live sessions this worker holds on a backend. */
  live(id: string): number {
    return this.#entries.get(id)?.live ?? 0;
  }

  /** A connection to the backend failed (refused, reset, timed out): pass it over for a while. */
  reportFailure(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.fail(this.#now());
    this.#onFailure(id);
    this.#refresh();
  }

  /** The backend answered: forget its failures. Called per response, so it refreshes only on a change. */
  reportSuccess(id: string): void {
    if (this.#entries.get(id)?.succeed()) this.#refresh();
  }

  /** Recomputes health and the eligible set; a new generation only if the set changed. */
  #refresh(): RoutableSet {
    const now = this.#now();
    let anyUsable = false;
    let nextExpiry = Infinity;
    for (const entry of this.#sorted) {
      if (entry.isUsable(now)) anyUsable = true;
      if (entry.passedOverUntil > now) nextExpiry = Math.min(nextExpiry, entry.passedOverUntil);
    }
    for (const entry of this.#sorted) entry.refresh(now, !anyUsable);
    this.#nextExpiry = nextExpiry;
    const eligible = this.#sorted.filter((entry) => entry.healthy && entry.backend.state === 'active');
    const view = this.#view;
    if (view !== undefined && view.membership === this.#membership && sameEntries(view.eligible, eligible)) return view;
    this.#view = {
      generation: ++this.#generation,
      membership: this.#membership,
      all: this.#sorted,
      eligible,
      eligibleById: new Map(eligible.map((entry) => [entry.backend.id, entry])),
    };
    return this.#view;
  }
}
