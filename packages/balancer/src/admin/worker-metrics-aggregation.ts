import { AggregatorRegistry, type Registry } from 'prom-client';
import type { MetricsSnapshot } from '../proxy/data-plane-metrics.js';

/**
 * A node's data-plane metrics summed over its workers, as the primary serves them. The latest
 * snapshot of every worker is kept, so a worker too slow to answer a scrape still counts with
 * what it said last (its counters never appear to go back). A worker that exits has its counters
 * and histograms folded into a retained total, so its replacement starting from zero is not read
 * as a counter reset; its gauges are dropped, since its sessions died with it. prom-client's own
 * cluster aggregation has neither property: it fails the whole scrape on one slow worker.
 */
export class WorkerMetricsAggregation {
  readonly #latest = new Map<number, MetricsSnapshot>();
  #retired: MetricsSnapshot = [];

  /** A worker's answer to a scrape. */
  update(worker: number, snapshot: MetricsSnapshot): void {
    this.#latest.set(worker, snapshot);
  }

  /** A worker has exited: keep what it counted, forget what it held. */
  async workerExited(worker: number): Promise<void> {
    const last = this.#latest.get(worker);
    this.#latest.delete(worker);
    if (!last) return;
    // Compared as text: prom-client's MetricType enum is declared for types only.
    const counted = last.filter((metric) => (metric.type as unknown) !== 'gauge');
    this.#retired = (await AggregatorRegistry.aggregate([
      this.#retired,
      counted,
    ]).getMetricsAsJSON()) as MetricsSnapshot;
  }

  /** Every worker's metrics, summed (label by label, bucket by bucket), with the retained totals. */
  merged(): Registry {
    return AggregatorRegistry.aggregate([this.#retired, ...this.#latest.values()]);
  }
}
