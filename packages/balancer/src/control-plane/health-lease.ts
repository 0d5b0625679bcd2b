import type { Logger } from 'pino';
import type { Backend } from '../core/backend.js';
import type { HealthRecord, StateEvent, StateStore } from '../state/state-store.js';
import type { DegradedTracker } from './degraded-tracker.js';
import { HealthChecker, type Probe } from './health-checker.js';
import { PeriodicTask } from './periodic-task.js';
import { ReportThrottle } from './report-throttle.js';
import { passiveReportIntervalMs } from '../core/timings.js';

/** The name of the lease that makes one node at a time the active checker. */
export const healthLeaseName = 'health';

/** This node's part in the active health check: the lease holder probes, followers read. */
export type LeaseRole = 'follower' | 'holder';

/** Where a {@link HealthLease} is in its life. */
export type HealthLeaseState = 'idle' | 'running' | 'closed';

/** Settings that a SIGHUP may change. */
export interface HealthSettings {
  /** Period of the checks (0: this node never checks, and never holds the lease). */
  readonly intervalMs: number;
  readonly path: string;
  readonly timeoutMs: number;
}

/** Options of {@link HealthLease}. */
export interface HealthLeaseOptions {
  readonly store: StateStore;
  readonly tracker: DegradedTracker;
  readonly log: Logger;
  readonly nodeId: string;
  readonly rise: number;
  readonly fall: number;
  readonly settings: HealthSettings;
  /** The membership to probe, as of now. */
  readonly backends: () => readonly Backend[];
  /** The backends held down, each time that list changes. */
  readonly onUnhealthy: (unhealthy: readonly string[]) => void;
  readonly probe?: Probe;
  readonly now?: () => number;
  /** Shortest time between two passive-failure reports of one backend. */
  readonly passiveIntervalMs?: number;
}

/**
 * Shared health: one node at a time (the holder of the `health` lease, renewed every check with
 * a TTL of three intervals) probes every backend and writes the verdicts; every node reads them,
 * on each check and on `health-changed`. Workers' passive failures are published, throttled per
 * backend, and the holder counts them as failed checks.
 */
export class HealthLease {
  readonly #options: HealthLeaseOptions;
  readonly #now: () => number;
  readonly #checker: HealthChecker;
  readonly #checks: PeriodicTask;
  readonly #reports: ReportThrottle;
  #settings: HealthSettings;
  #state: HealthLeaseState = 'idle';
  #role: LeaseRole = 'follower';
  #unhealthy: readonly string[] = [];
  #verdicts: ReadonlyMap<string, HealthRecord> = new Map();
  #closing: Promise<void> | undefined;

  constructor(options: HealthLeaseOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#settings = options.settings;
    this.#checker = new HealthChecker({ ...options, now: this.#now });
    this.#checks = new PeriodicTask(() => options.tracker.guard(() => this.#check()));
    this.#reports = new ReportThrottle(options.passiveIntervalMs ?? passiveReportIntervalMs);
  }

  get state(): HealthLeaseState {
    return this.#state;
  }

  get role(): LeaseRole {
    return this.#role;
  }

  /** Backends the shared verdicts hold down, sorted, as last read. */
  get unhealthy(): readonly string[] {
    return this.#unhealthy;
  }

  /** The shared verdicts as last read: what a re-seed writes back after a data loss. */
  get verdicts(): ReadonlyMap<string, HealthRecord> {
    return this.#verdicts;
  }

  /** Checks every interval from now on (the first one interval from now). */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = 'running';
    this.#checks.every(this.#settings.intervalMs);
  }

  /**
   * SIGHUP. A changed interval is re-armed and checks at once (the lease's TTL was three of the
   * old intervals); 0 turns checks off here and hands the lease on, so another node takes over.
   */
  async reconfigure(settings: HealthSettings): Promise<void> {
    this.#settings = settings;
    if (this.#state !== 'running' || !this.#checks.every(settings.intervalMs)) return;
    if (settings.intervalMs > 0) return void this.#checks.runNow();
    await this.#checks.settled(); // a check in flight would take the lease again
    await this.#release();
  }

  /** Store events that concern health (they arrive on the registry's subscription). */
  onEvent(event: StateEvent): void {
    const { tracker } = this.#options;
    if (this.#state === 'closed') return;
    if (event.type === 'health-changed') void tracker.guard(() => this.#readVerdicts());
    else if (event.type === 'passive-failure' && this.#role === 'holder') {
      // Outside a check, so guarded here: a store failure turns the node degraded, never into an
      // unhandled rejection.
      void tracker.guard(() => this.#checker.record([[event.backend, false]]));
    }
  }

  /** A worker's refused or reset connection, shared with the checker (throttled per backend). */
  backendFailed(backend: string): void {
    if (this.#state === 'closed' || !this.#reports.admit(backend, this.#now())) return;
    const { store, tracker, nodeId } = this.#options;
    void tracker.guard(() => store.publish({ type: 'passive-failure', backend, node: nodeId }));
  }

  /** Graceful: no further check; waits for the one in flight, then hands the lease on. Idempotent. */
  close(): Promise<void> {
    this.#state = 'closed';
    this.#closing ??= this.#checks.close().then(() => this.#release());
    return this.#closing;
  }

  /** Immediate: no further check; a held lease expires on its own. */
  destroy(): void {
    this.#state = 'closed';
    this.#checks.destroy();
  }

  async #release(): Promise<void> {
    if (this.#role !== 'holder') return;
    this.#role = 'follower';
    const { store, tracker, nodeId } = this.#options;
    await tracker.guard(() => store.releaseLease(healthLeaseName, nodeId));
  }

  async #check(): Promise<void> {
    const { store, nodeId, tracker } = this.#options;
    const held = await store.acquireLease(healthLeaseName, nodeId, this.#settings.intervalMs * 3);
    if (held && this.#role === 'follower') await this.#checker.takeOver();
    this.#role = held ? 'holder' : 'follower';
    if (held) await this.#checker.probeAll(this.#options.backends(), this.#settings.path, this.#settings.timeoutMs);
    await tracker.guard(() => this.#readVerdicts());
  }

  async #readVerdicts(): Promise<void> {
    const records = await this.#options.store.readHealth();
    this.#verdicts = records;
    const unhealthy = [...records]
      .filter(([, record]) => !record.healthy)
      .map(([id]) => id)
      .sort();
    if (unhealthy.join(',') === this.#unhealthy.join(',')) return;
    this.#unhealthy = unhealthy;
    this.#options.onUnhealthy(unhealthy);
  }
}
