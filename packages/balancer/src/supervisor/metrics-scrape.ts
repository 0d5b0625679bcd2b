import { Registry } from 'prom-client';
import { WorkerMetricsAggregation } from '../admin/worker-metrics-aggregation.js';
import type { MetricsSnapshot } from '../proxy/data-plane-metrics.js';
import type { PrimaryToWorker } from './ipc-messages.js';
import { finalMetricsId } from './worker.js';

/** How long a scrape waits for each worker: a slow one is served from its last answer. */
export const workerAnswerTimeoutMs = 1_000;

/** What a scrape needs from the supervisor. */
export interface ScrapeTargets {
  aliveIds(): readonly number[];
  send(worker: number, message: PrimaryToWorker): void;
}

/**
 * A Prometheus scrape over the node's workers: each is asked for its metrics over IPC and
 * given 1 s; one that does not answer never fails the scrape: its last answer is used and the
 * miss is counted. Exited workers' counters live on in the aggregation.
 */
export class MetricsScrape {
  readonly #targets: ScrapeTargets;
  readonly #aggregation = new WorkerMetricsAggregation();
  readonly #waiting = new Map<string, () => void>();
  readonly #onTimeout: () => void;
  #sequence = finalMetricsId;

  constructor(targets: ScrapeTargets, onTimeout: () => void) {
    this.#targets = targets;
    this.#onTimeout = onTimeout;
  }

  /** A worker's answer (or its final word before exiting, unasked). */
  answered(worker: number, id: number, snapshot: MetricsSnapshot): void {
    this.#aggregation.update(worker, snapshot);
    this.#waiting.get(`${worker}:${id}`)?.();
  }

  workerExited(worker: number): Promise<void> {
    return this.#aggregation.workerExited(worker);
  }

  /** Every worker's metrics, summed, merged with `own` (the primary's registry), as Prometheus text. */
  async text(own: Registry): Promise<string> {
    const id = ++this.#sequence;
    await Promise.all(this.#targets.aliveIds().map((worker) => this.#ask(worker, id)));
    return Registry.merge([this.#aggregation.merged(), own]).metrics();
  }

  #ask(worker: number, id: number): Promise<void> {
    const key = `${worker}:${id}`;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(key);
        this.#onTimeout();
        resolve();
      }, workerAnswerTimeoutMs);
      this.#waiting.set(key, () => {
        clearTimeout(timer);
        this.#waiting.delete(key);
        resolve();
      });
      this.#targets.send(worker, { type: 'metrics-request', id });
    });
  }
}
