import type { StateStore } from '../state/state-store.js';
import type { DegradedTracker } from './degraded-tracker.js';
import { PeriodicTask } from './periodic-task.js';
import { countsIntervalMs } from '../core/timings.js';

/** Live sessions per backend, cluster-wide, as workers receive them. */
export type CountsRecord = Readonly<Record<string, number>>;

/** Options of {@link ClusterCounts}. */
export interface ClusterCountsOptions {
  readonly store: StateStore;
  readonly tracker: DegradedTracker;
  /** The counts, each time they changed. */
  readonly onCounts: (total: CountsRecord) => void;
  /** Period of the reads. */
  readonly intervalMs?: number;
}

/**
 * Reads the cluster-wide live sessions per backend every 500 ms: workers need them for
 * least-connections across nodes, the close pacer for each node's share of a drain's rate.
 * Workers are told only when the counts changed.
 */
export class ClusterCounts {
  readonly #options: ClusterCountsOptions;
  readonly #reads: PeriodicTask;
  #live: ReadonlyMap<string, number> = new Map();
  #total: CountsRecord = {};
  #signature = '{}';

  constructor(options: ClusterCountsOptions) {
    this.#options = options;
    this.#reads = new PeriodicTask(() => options.tracker.guard(() => this.#read()));
  }

  /** Cluster-wide live sessions per backend, as last read (kept while the store is away). */
  get live(): ReadonlyMap<string, number> {
    return this.#live;
  }

  /** The same, as sent to workers. */
  get total(): CountsRecord {
    return this.#total;
  }

  /** Reads every interval from now on (the first read one interval from now). */
  start(): void {
    this.#reads.every(this.#options.intervalMs ?? countsIntervalMs);
  }

  /** Reads now (or right after the read in flight). */
  refresh(): Promise<void> {
    return this.#reads.runNow();
  }

  /** Graceful: no further read; resolves once the read in flight is done. Idempotent. */
  close(): Promise<void> {
    return this.#reads.close();
  }

  /** Immediate: no further read. */
  destroy(): void {
    this.#reads.destroy();
  }

  async #read(): Promise<void> {
    const counts = await this.#options.store.liveCounts();
    this.#live = counts.total;
    const total = Object.fromEntries(counts.total);
    const signature = JSON.stringify(total);
    if (signature === this.#signature) return;
    this.#signature = signature;
    this.#total = total;
    this.#options.onCounts(total);
  }
}
