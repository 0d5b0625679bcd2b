import { readFileSync } from 'node:fs';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ControlPlaneView } from '../control-plane/node-control-plane.js';

/** What the primary's own metrics are read from, at scrape time. */
export interface NodeMetricsSource {
  view(): ControlPlaneView;
  /** Whether the last command reached the shared state. */
  storeUp(): boolean;
  storeReconnects(): number;
  /** Worker processes alive (serving or retiring). */
  workers(): number;
  /** Workers replaced after they died. */
  workerRestarts(): number;
  /** The TLS listener's certificates in use: their file and expiry (ms since the epoch). */
  tlsCertificates(): ReadonlyArray<{ readonly file: string; readonly validTo: number }>;
}

/** Store latencies from a fraction of a millisecond (local Redis) to the command timeout. */
const storeBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];

const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

/**
 * The primary's own metrics: the backends as this node routes them (health, state, weight,
 * drains), the shared state (reachable, latency, reconnects), the workers, build info and the
 * process metrics of the primary. Gauges are read from the source when Prometheus scrapes.
 */
export class NodeMetrics {
  readonly registry = new Registry();
  readonly #storeLatency: Histogram;
  readonly #workerTimeouts: Counter;

  constructor(source: NodeMetricsSource) {
    const registers = [this.registry];
    const backendGauge = (
      name: string,
      help: string,
      value: (view: ControlPlaneView, id: string) => number | undefined,
    ) =>
      new Gauge({
        name,
        help,
        labelNames: ['backend'],
        registers,
        collect() {
          this.reset();
          const view = source.view();
          for (const backend of view.backends) {
            const current = value(view, backend.id);
            if (current !== undefined) this.set({ backend: backend.id }, current);
          }
        },
      });
    backendGauge(
      'mooring_backend_up',
      'Whether the shared health check lets the backend take sessions (1) or not (0)',
      (view, id) => (view.unhealthy.includes(id) ? 0 : 1),
    );
    backendGauge('mooring_backend_draining', 'Whether the backend is draining (1) or active (0)', (view, id) =>
      view.backends.find((b) => b.id === id)?.state === 'draining' ? 1 : 0,
    );
    backendGauge(
      'mooring_backend_weight',
      'Relative capacity of the backend',
      (view, id) => view.backends.find((b) => b.id === id)?.weight,
    );
    backendGauge(
      'mooring_drain_remaining_connections',
      'Live sessions left on a draining backend, cluster-wide',
      (view, id) => (view.drains.has(id) ? (view.clusterLive.get(id) ?? 0) : undefined),
    );
    backendGauge(
      'mooring_drain_deadline_timestamp_seconds',
      'When a drain closes what is left (Unix time)',
      (view, id) => {
        const drain = view.drains.get(id);
        return drain === undefined ? undefined : drain.deadlineAt / 1000;
      },
    );
    const gauge = (name: string, help: string, value: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(value());
        },
      });
    gauge('mooring_state_store_up', 'Whether the shared state answers (1) or not (0)', () =>
      source.storeUp() ? 1 : 0,
    );
    gauge(
      'mooring_degraded',
      'Whether the node routes from its last known state because the shared state is unreachable',
      () => (source.view().degraded ? 1 : 0),
    );
    gauge('mooring_workers', 'Worker processes of this node', () => source.workers());
    new Counter({
      name: 'mooring_state_store_reconnects_total',
      help: 'Times the connection to the shared state came back',
      registers,
      collect() {
        this.reset();
        this.inc(source.storeReconnects());
      },
    });
    new Counter({
      name: 'mooring_state_reseeds_total',
      help: 'Times this node re-seeded a shared state that had lost its data (its marker was gone)',
      registers,
      collect() {
        this.reset();
        this.inc(source.view().reseeds);
      },
    });
    new Counter({
      name: 'mooring_worker_restarts_total',
      help: 'Workers replaced after they died',
      registers,
      collect() {
        this.reset();
        this.inc(source.workerRestarts());
      },
    });
    new Gauge({
      name: 'mooring_build_info',
      help: 'Always 1; the labels say what runs',
      labelNames: ['version', 'node_version'],
      registers,
    }).set({ version, node_version: process.version }, 1);
    this.#storeLatency = new Histogram({
      name: 'mooring_state_store_command_duration_seconds',
      help: 'Time the shared state took to answer a command',
      buckets: storeBuckets,
      registers,
    });
    this.#workerTimeouts = new Counter({
      name: 'mooring_metrics_worker_timeouts_total',
      help: 'Scrapes a worker did not answer in time (its last answer was served)',
      registers,
    });
    new Gauge({
      name: 'mooring_tls_certificate_expiry_timestamp_seconds',
      help: 'When each certificate of the TLS listener expires (Unix time); `name` is its file',
      labelNames: ['name'],
      registers,
      collect() {
        this.reset();
        for (const { file, validTo } of source.tlsCertificates()) this.set({ name: file }, validTo / 1000);
      },
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** One store command took this long (whatever its outcome). */
  storeCommand(seconds: number): void {
    this.#storeLatency.observe(seconds);
  }

  /** A worker did not answer a scrape in time. */
  workerTimedOut(): void {
    this.#workerTimeouts.inc();
  }
}
