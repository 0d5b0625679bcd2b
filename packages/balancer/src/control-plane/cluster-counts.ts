import type { StateStore } from '../state/state-store.js';
import type { DegradedTracker } from './degraded-tracker.js';
import { PeriodicTask } from './periodic-task.js';
import { countsIntervalMs } from '../core/timings.js';
import { countInto } from '../proxy/metric-tally.js';

/** Live sessions per backend. */
export type CountsRecord = Readonly<Record<string, number>>;

/**
 * What workers receive: the cluster-wide live sessions per backend, and what the primary knew of
 * each worker's own at that moment, so that a worker adds exactly the opens and closes the
 * primary had not heard of yet (BackendPool#setClusterCounts).
 */
export interface WorkerCounts {
  readonly total: CountsRecord;
  /** worker id → its live sessions per backend, as its reports said. */
  readonly byWorker: Readonly<Record<number, CountsRecord>>;
}

/** Options of {@link ClusterCounts}. */
export interface ClusterCountsOptions {
  readonly store: StateStore;
  readonly tracker: DegradedTracker;
  /** This node: its part of the shared counts is replaced by its own table's. */
  readonly nodeId: string;
  /** This node's live sessions per backend of each worker (ConnectionTable#liveByWorker). */
  readonly liveByWorker: () => ReadonlyMap<number, ReadonlyMap<string, number>>;
  /** The counts, each time they changed. */
  readonly onCounts: (counts: WorkerCounts) => void;
  /** Period of the reads. */
  readonly intervalMs?: number;
}

/**
 * Reads the cluster-wide live sessions per backend every 500 ms: workers need them for
 * least-connections across nodes, the close pacer for each node's share of a drain's rate.
 * This node's part is taken from its own table rather than from the shared one, which lags by
 * a flush: a worker that subtracted its sessions opened during that lag from a count that did
 * not have them yet would undercount the backends it just chose and fill them past their share
 * (a reconnection wave after a rebalance does exactly that). Workers are told only when the
 * counts changed.
 */
export class ClusterCounts {
  readonly #options: ClusterCountsOptions;
  readonly #reads: PeriodicTask;
  #live: ReadonlyMap<string, number> = new Map();
  #counts: WorkerCounts = { total: {}, byWorker: {} };
  #signature = '';

  constructor(options: ClusterCountsOptions) {
    this.#options = options;
    this.#reads = new PeriodicTask(() => options.tracker.guard(() => this.#read()));
  }

  /** Cluster-wide live sessions per backend, as last read (kept while the store is away). */
  get live(): ReadonlyMap<string, number> {
    return this.#live;
  }

  /** The same, and each worker's own, as sent to workers. */
  get counts(): WorkerCounts {
    return this.#counts;
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
    const { store, nodeId, liveByWorker, onCounts } = this.#options;
    const shared = await store.liveCounts();
    // This node's own as the reply arrives: the total and each worker's part are of one moment.
    const own = liveByWorker();
    const live = new Map(shared.total);
    for (const [backend, count] of shared.perNode.get(nodeId) ?? []) countInto(live, backend, -count);
    const byWorker: Record<number, CountsRecord> = {};
    for (const [worker, counts] of own) {
      byWorker[worker] = Object.fromEntries(counts);
      for (const [backend, count] of counts) countInto(live, backend, count);
    }
    for (const [backend, count] of live) if (count <= 0) live.delete(backend);
    this.#live = live;
    const counts = { total: Object.fromEntries(live), byWorker };
    const signature = JSON.stringify(counts);
    if (signature === this.#signature) return;
    this.#signature = signature;
    this.#counts = counts;
    onCounts(counts);
  }
}
