import { Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { RouteKind } from '../core/session-record.js';

/** Bytes and messages a live session has relayed since it was last sampled. */
export interface TrafficSample {
  readonly backend: string;
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  readonly messagesFromClient: number;
  readonly messagesToClient: number;
}

/** Something that can report the traffic of its live sessions (the worker's session registry). */
export interface TrafficSource {
  sampleTraffic(): Iterable<TrafficSample>;
}

/** Session lengths from seconds to days: a chat tab lives minutes, a trading feed a week. */
const sessionBuckets = [1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600, 12 * 3_600, 86_400, 3 * 86_400, 7 * 86_400];
const requestBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

/** A serializable snapshot of a worker's metrics, as it crosses IPC to the primary. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Options of a worker's data-plane metrics. */
export interface DataPlaneMetricsOptions {
  /** False (`--metrics false`): every recording method returns at once and snapshots are empty. */
  readonly enabled?: boolean;
}

/**
 * The data plane's metrics in one worker (Prometheus, via prom-client). Counters move on events;
 * bytes and messages of live sessions are sampled at scrape time, so a WebSocket that lives for
 * days shows its traffic while it lives, not only at its end. The primary aggregates the
 * workers' snapshots (admin/metrics-aggregation.ts).
 *
 * Disabled, every method returns before touching prom-client (a label lookup and a hash per
 * event), so that `pnpm bench` can measure what the instrumentation costs the data plane.
 */
export class DataPlaneMetrics {
  readonly #registry = new Registry();
  readonly #connections: Gauge<'backend'>;
  readonly #upgrades: Counter<'backend' | 'result'>;
  readonly #closes: Counter<'backend' | 'reason' | 'code'>;
  readonly #sessionDuration: Histogram<'backend'>;
  readonly #bytes: Counter<'backend' | 'direction'>;
  readonly #messages: Counter<'backend' | 'direction'>;
  readonly #httpRequests: Counter<'backend' | 'code'>;
  readonly #httpDuration: Histogram<'backend'>;
  readonly #refusals: Counter<'code'>;
  readonly #routing: Counter<'route'>;
  readonly #ruleViolations: Counter<'rule' | 'action' | 'direction'>;
  readonly #enabled: boolean;
  #traffic: TrafficSource | undefined;

  constructor({ enabled = true }: DataPlaneMetricsOptions = {}) {
    this.#enabled = enabled;
    const registers = [this.#registry];
    this.#connections = new Gauge({
      name: 'mooring_websocket_connections',
      help: 'Live WebSocket sessions on this node',
      labelNames: ['backend'],
      registers,
    });
    this.#upgrades = new Counter({
      name: 'mooring_websocket_upgrades_total',
      help: 'WebSocket handshakes by outcome: accepted, or why not',
      labelNames: ['backend', 'result'],
      registers,
    });
    this.#closes = new Counter({
      name: 'mooring_websocket_closes_total',
      help: 'WebSocket sessions ended, by how and with which close code Mooring sent',
      labelNames: ['backend', 'reason', 'code'],
      registers,
    });
    this.#sessionDuration = new Histogram({
      name: 'mooring_websocket_session_duration_seconds',
      help: 'Length of WebSocket sessions',
      labelNames: ['backend'],
      buckets: sessionBuckets,
      registers,
    });
    this.#bytes = new Counter({
      name: 'mooring_websocket_bytes_total',
      help: 'Bytes relayed by WebSocket tunnels, each way',
      labelNames: ['backend', 'direction'],
      registers,
    });
    this.#messages = new Counter({
      name: 'mooring_websocket_messages_total',
      help: 'WebSocket messages relayed, each way (frame tracking)',
      labelNames: ['backend', 'direction'],
      registers,
    });
    this.#httpRequests = new Counter({
      name: 'mooring_http_requests_total',
      help: 'HTTP requests answered, by backend and status class',
      labelNames: ['backend', 'code'],
      registers,
    });
    this.#httpDuration = new Histogram({
      name: 'mooring_http_request_duration_seconds',
      help: 'Time to answer HTTP requests',
      labelNames: ['backend'],
      buckets: requestBuckets,
      registers,
    });
    this.#refusals = new Counter({
      name: 'mooring_refusals_total',
      help: 'Requests and handshakes refused with a MOORING_ERR_* code',
      labelNames: ['code'],
      registers,
    });
    this.#routing = new Counter({
      name: 'mooring_routing_decisions_total',
      help: 'Routing decisions by route',
      labelNames: ['route'],
      registers,
    });
    this.#ruleViolations = new Counter({
      name: 'mooring_message_rule_violations_total',
      help: 'WebSocket messages that broke a message rule, by check, action taken and direction',
      labelNames: ['rule', 'action', 'direction'],
      registers,
    });
  }

  /** Where live sessions' traffic is read at scrape time. */
  watchTraffic(source: TrafficSource): void {
    this.#traffic = source;
  }

  routed(route: RouteKind): void {
    if (!this.#enabled) return;
    this.#routing.inc({ route });
  }

  refused(code: string): void {
    if (!this.#enabled) return;
    this.#refusals.inc({ code });
  }

  /** A handshake ended: `accepted` (101), or the refusal code, `backend-refused`, `client-gone`. */
  upgrade(backend: string | undefined, result: string): void {
    if (!this.#enabled) return;
    this.#upgrades.inc({ backend: backend ?? '', result });
  }

  sessionOpened(backend: string): void {
    if (!this.#enabled) return;
    this.#connections.inc({ backend });
  }

  /** An open session ended; `final` is its traffic since the last sample. */
  sessionClosed(final: TrafficSample, reason: string, closeCode: number | undefined, durationSeconds: number): void {
    if (!this.#enabled) return;
    const { backend } = final;
    this.#connections.dec({ backend });
    this.#closes.inc({ backend, reason, code: closeCode === undefined ? '' : String(closeCode) });
    this.#sessionDuration.observe({ backend }, durationSeconds);
    this.#addTraffic(final);
  }

  /**
   * An open session moved to the next worker (SIGHUP): it leaves this worker's gauge, and its
   * traffic since the last sample is counted here, but it is no close.
   */
  sessionHandedOver(final: TrafficSample): void {
    if (!this.#enabled) return;
    this.#connections.dec({ backend: final.backend });
    this.#addTraffic(final);
  }

  /** A session another worker handed over: it joins this worker's gauge, but it is no new session. */
  sessionAdopted(backend: string): void {
    if (!this.#enabled) return;
    this.#connections.inc({ backend });
  }

  /** A message broke a message rule (closed or, with `action: log`, only counted). */
  messageRuleViolated(violation: { rule: string; action: string; direction: string }): void {
    if (!this.#enabled) return;
    const { rule, action, direction } = violation;
    this.#ruleViolations.inc({ rule, action, direction });
  }

  httpAnswered(backend: string, status: number, durationSeconds: number): void {
    if (!this.#enabled) return;
    this.#httpRequests.inc({ backend, code: `${Math.floor(status / 100)}xx` });
    this.#httpDuration.observe({ backend }, durationSeconds);
  }

  /** Every metric of this worker, with live traffic sampled just now; none when disabled. */
  snapshot(): Promise<MetricsSnapshot> {
    if (!this.#enabled) return Promise.resolve([]);
    this.#sampleTraffic();
    return this.#registry.getMetricsAsJSON() as Promise<MetricsSnapshot>;
  }

  #sampleTraffic(): void {
    if (!this.#traffic) return;
    for (const sample of this.#traffic.sampleTraffic()) this.#addTraffic(sample);
  }

  #addTraffic(sample: TrafficSample): void {
    const { backend } = sample;
    if (sample.bytesFromClient > 0)
      this.#bytes.inc({ backend, direction: 'client_to_backend' }, sample.bytesFromClient);
    if (sample.bytesToClient > 0) this.#bytes.inc({ backend, direction: 'backend_to_client' }, sample.bytesToClient);
    if (sample.messagesFromClient > 0)
      this.#messages.inc({ backend, direction: 'client_to_backend' }, sample.messagesFromClient);
    if (sample.messagesToClient > 0)
      this.#messages.inc({ backend, direction: 'backend_to_client' }, sample.messagesToClient);
  }
}
