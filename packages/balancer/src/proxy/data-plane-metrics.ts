import { Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { RouteKind } from '../core/session-record.js';
import { BackendTally, countInto } from './metric-tally.js';

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
 * Enabled, the hot path touches no prom-client either: events are counted in plain numbers per
 * backend (BackendTally) and per route or refusal code, and added to prom-client when a snapshot
 * is taken (a labelled prom-client call hashes its labels, some 2 µs per handshake in all). The
 * tallies of backends that counted nothing for a whole scrape interval are dropped, so backends
 * that left the membership leave no entry behind.
 *
 * Disabled, every method returns at once, so that `pnpm bench` can measure what the
 * instrumentation costs the data plane.
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
  /** Counts since the last flush, per backend id, route and refusal code. */
  readonly #tallies = new Map<string, BackendTally>();
  readonly #routes = new Map<RouteKind, number>();
  readonly #refusalCounts = new Map<string, number>();

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

  /** Backends whose counts are held until the next snapshot (for tests: dropped ones leave no entry). */
  get talliedBackends(): number {
    return this.#tallies.size;
  }

  /** Where live sessions' traffic is read at scrape time. */
  watchTraffic(source: TrafficSource): void {
    this.#traffic = source;
  }

  routed(route: RouteKind): void {
    if (!this.#enabled) return;
    countInto(this.#routes, route);
  }

  refused(code: string): void {
    if (!this.#enabled) return;
    countInto(this.#refusalCounts, code);
  }

  /** A handshake ended: `accepted` (101), or the refusal code, `backend-refused`, `client-gone`. */
  upgrade(backend: string | undefined, result: string): void {
    if (!this.#enabled) return;
    countInto(this.#tally(backend ?? '').upgrades, result);
  }

  sessionOpened(backend: string): void {
    if (!this.#enabled) return;
    const tally = this.#tally(backend);
    tally.connections++;
    tally.connectionsMoved = true;
  }

  /** An open session ended; `final` is its traffic since the last sample. */
  sessionClosed(final: TrafficSample, reason: string, closeCode: number | undefined, durationSeconds: number): void {
    if (!this.#enabled) return;
    const tally = this.#tally(final.backend);
    tally.connections--;
    tally.connectionsMoved = true;
    let byCode = tally.closes.get(reason);
    if (byCode === undefined) tally.closes.set(reason, (byCode = new Map()));
    countInto(byCode, closeCode);
    tally.sessionSeconds.push(durationSeconds);
    this.#addTraffic(final, tally);
  }

  /**
   * An open session moved to the next worker (SIGHUP): it leaves this worker's gauge, and its
   * traffic since the last sample is counted here, but it is no close.
   */
  sessionHandedOver(final: TrafficSample): void {
    if (!this.#enabled) return;
    const tally = this.#tally(final.backend);
    tally.connections--;
    tally.connectionsMoved = true;
    this.#addTraffic(final, tally);
  }

  /** A session another worker handed over: it joins this worker's gauge, but it is no new session. */
  sessionAdopted(backend: string): void {
    if (!this.#enabled) return;
    const tally = this.#tally(backend);
    tally.connections++;
    tally.connectionsMoved = true;
  }

  /** A message broke a message rule (closed or, with `action: log`, only counted). */
  messageRuleViolated(violation: { rule: string; action: string; direction: string }): void {
    if (!this.#enabled) return;
    const { rule, action, direction } = violation;
    this.#ruleViolations.inc({ rule, action, direction });
  }

  httpAnswered(backend: string, status: number, durationSeconds: number): void {
    if (!this.#enabled) return;
    const tally = this.#tally(backend);
    tally.httpByClass[Math.min(9, Math.max(0, Math.floor(status / 100)))]!++;
    tally.httpSeconds.push(durationSeconds);
  }

  /** Every metric of this worker, with live traffic sampled just now; none when disabled. */
  snapshot(): Promise<MetricsSnapshot> {
    if (!this.#enabled) return Promise.resolve([]);
    this.#sampleTraffic();
    this.#flush();
    return this.#registry.getMetricsAsJSON() as Promise<MetricsSnapshot>;
  }

  #sampleTraffic(): void {
    if (!this.#traffic) return;
    for (const sample of this.#traffic.sampleTraffic()) this.#addTraffic(sample);
  }

  #addTraffic(sample: TrafficSample, tally = this.#tally(sample.backend)): void {
    tally.bytesFromClient += sample.bytesFromClient;
    tally.bytesToClient += sample.bytesToClient;
    tally.messagesFromClient += sample.messagesFromClient;
    tally.messagesToClient += sample.messagesToClient;
  }

  /** The tally of a backend, created on its first event since it was last dropped. */
  #tally(backend: string): BackendTally {
    let tally = this.#tallies.get(backend);
    if (tally === undefined) {
      // A worker nobody scrapes flushes by itself rather than keep counts without bound.
      if (this.#tallies.size >= maxTallies) this.#flush();
      this.#tallies.set(backend, (tally = new BackendTally()));
    }
    if (tally.full) this.#flushTally(backend, tally);
    tally.active = true;
    return tally;
  }

  /**
   * Adds every count since the last flush to prom-client. A tally that counted nothing since the
   * previous flush is dropped: its backend may have left, and a new event recreates it.
   */
  #flush(): void {
    for (const [route, count] of this.#routes) this.#routing.inc({ route }, count);
    this.#routes.clear();
    for (const [code, count] of this.#refusalCounts) this.#refusals.inc({ code }, count);
    this.#refusalCounts.clear();
    for (const [backend, tally] of this.#tallies) {
      if (tally.active) this.#flushTally(backend, tally);
      else this.#tallies.delete(backend);
    }
  }

  #flushTally(backend: string, tally: BackendTally): void {
    if (tally.connectionsMoved) this.#connections.inc({ backend }, tally.connections);
    for (const [result, count] of tally.upgrades) this.#upgrades.inc({ backend, result }, count);
    for (const [reason, byCode] of tally.closes)
      for (const [code, count] of byCode)
        this.#closes.inc({ backend, reason, code: code === undefined ? '' : String(code) }, count);
    for (const seconds of tally.sessionSeconds) this.#sessionDuration.observe({ backend }, seconds);
    this.#addBytes(backend, tally);
    tally.httpByClass.forEach((count, index) => {
      if (count > 0) this.#httpRequests.inc({ backend, code: `${index}xx` }, count);
    });
    for (const seconds of tally.httpSeconds) this.#httpDuration.observe({ backend }, seconds);
    tally.clear();
  }

  #addBytes(backend: string, tally: BackendTally): void {
    if (tally.bytesFromClient > 0) this.#bytes.inc({ backend, direction: 'client_to_backend' }, tally.bytesFromClient);
    if (tally.bytesToClient > 0) this.#bytes.inc({ backend, direction: 'backend_to_client' }, tally.bytesToClient);
    if (tally.messagesFromClient > 0)
      this.#messages.inc({ backend, direction: 'client_to_backend' }, tally.messagesFromClient);
    if (tally.messagesToClient > 0)
      this.#messages.inc({ backend, direction: 'backend_to_client' }, tally.messagesToClient);
  }
}

/** Backends with a tally at once before the counts are flushed without waiting for a scrape. */
const maxTallies = 4096;
