import type { Backend, Candidate } from '../core/backend.js';
import { firstPenaltyMs, maxPenaltyMs } from '../core/timings.js';

interface BackendEntry {
  backend: Backend;
  /** Sessions this worker holds now. */
  live: number;
  consecutiveFailures: number;
  passedOverUntil: number;
  /** Cluster-wide live sessions at the last snapshot, and this worker's `live` at that moment. */
  clusterLive: number;
  liveAtSnapshot: number;
  /** The shared active health check's verdict. */
  checkedHealthy: boolean;
}

/**
 * One worker's view of its backends: membership, live sessions, and passive health (a backend
 * that refused or reset is passed over for a while). The clock is injected so tests control time.
 */
export class BackendPool {
  readonly #entries = new Map<string, BackendEntry>();
  readonly #now: () => number;
  #clusterCounts = false;
  #unhealthy: ReadonlySet<string> = new Set();

  readonly #onFailure: (id: string) => void;

  /** `onFailure` hears every passive failure, so the node can share it (DESIGN "Health"). */
  constructor(options: { now?: () => number; onFailure?: (id: string) => void } = {}) {
    this.#now = options.now ?? Date.now;
    this.#onFailure = options.onFailure ?? (() => {});
  }

  /** Replaces the membership; live counts of backends that stay are kept. */
  setBackends(backends: readonly Backend[]): void {
    const next = new Map<string, BackendEntry>();
    for (const backend of backends) {
      const previous = this.#entries.get(backend.id);
      next.set(
        backend.id,
        previous
          ? { ...previous, backend }
          : {
              backend,
              live: 0,
              consecutiveFailures: 0,
              passedOverUntil: 0,
              clusterLive: 0,
              liveAtSnapshot: 0,
              checkedHealthy: !this.#unhealthy.has(backend.id),
            },
      );
    }
    this.#entries.clear();
    for (const [id, entry] of next) this.#entries.set(id, entry);
  }

  get(id: string): Backend | undefined {
    return this.#entries.get(id)?.backend;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * Every backend with its load and health. When passive health has passed over all of them,
   * they are all offered anyway (as NGINX does when every peer failed): a guess beats a 503.
   */
  candidates(): Candidate[] {
    const now = this.#now();
    const list = [...this.#entries.values()].map((entry) => ({
      backend: entry.backend,
      liveConnections: this.#clusterCounts
        ? Math.max(0, entry.clusterLive + entry.live - entry.liveAtSnapshot)
        : entry.live,
      healthy: entry.checkedHealthy && entry.passedOverUntil <= now,
    }));
    const anyActiveHealthy = list.some((candidate) => candidate.healthy && candidate.backend.state === 'active');
    return anyActiveHealthy ? list : list.map((candidate) => ({ ...candidate, healthy: true }));
  }

  /**
   * Applies a snapshot of cluster-wide live sessions per backend. Until the next one, this
   * worker's own opens and closes since the snapshot are added to it, so a burst of new
   * sessions spreads even before the shared table catches up.
   */
  setClusterCounts(total: ReadonlyMap<string, number>): void {
    this.#clusterCounts = true;
    for (const [id, entry] of this.#entries) {
      entry.clusterLive = total.get(id) ?? 0;
      entry.liveAtSnapshot = entry.live;
    }
  }

  /** Applies the shared active health check's verdict: these backends take no new sessions. */
  setUnhealthy(unhealthy: ReadonlySet<string>): void {
    this.#unhealthy = unhealthy;
    for (const [id, entry] of this.#entries) entry.checkedHealthy = !unhealthy.has(id);
  }

  acquire(id: string): void {
    const entry = this.#entries.get(id);
    if (entry) entry.live++;
  }

  release(id: string): void {
    const entry = this.#entries.get(id);
    if (entry && entry.live > 0) entry.live--;
  }

  /** Live sessions this worker holds on a backend. */
  live(id: string): number {
    return this.#entries.get(id)?.live ?? 0;
  }

  /** A connection to the backend failed (refused, reset, timed out): pass it over for a while. */
  reportFailure(id: string): void {
    const entry = this.#entries.get(id);
    if (!entry) return;
    entry.consecutiveFailures++;
    const penalty = Math.min(firstPenaltyMs * 2 ** (entry.consecutiveFailures - 1), maxPenaltyMs);
    entry.passedOverUntil = this.#now() + penalty;
    this.#onFailure(id);
  }

  /** The backend answered: forget its failures. */
  reportSuccess(id: string): void {
    const entry = this.#entries.get(id);
    if (entry && entry.consecutiveFailures > 0) {
      entry.consecutiveFailures = 0;
      entry.passedOverUntil = 0;
    }
  }
}
