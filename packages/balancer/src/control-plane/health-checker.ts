import type { Logger } from 'pino';
import type { Backend } from '../core/backend.js';
import type { StateStore } from '../state/state-store.js';
import { HealthTracker } from './health-tracker.js';
import { probeBackend } from './http-probe.js';

/** One active check of one backend; resolves whether it passed. */
export type Probe = (origin: string, path: string, timeoutMs: number) => Promise<boolean>;

/** Options of {@link HealthChecker}. */
export interface HealthCheckerOptions {
  readonly store: StateStore;
  readonly log: Logger;
  readonly nodeId: string;
  readonly rise: number;
  readonly fall: number;
  readonly probe?: Probe;
  readonly now: () => number;
}

/**
 * The lease holder's work: probe every backend, fold the results (and passive failures) into
 * rise/fall verdicts, write them, and announce a change. No timers and no lease: HealthLease
 * decides when this runs. Store failures propagate to the caller's guard.
 */
export class HealthChecker {
  readonly #options: HealthCheckerOptions;
  readonly #verdicts: HealthTracker;

  constructor(options: HealthCheckerOptions) {
    this.#options = options;
    this.#verdicts = new HealthTracker({ rise: options.rise, fall: options.fall, node: options.nodeId });
  }

  /** The lease just moved here: continue from the verdicts the previous holder wrote. */
  async takeOver(): Promise<void> {
    this.#verdicts.load(await this.#options.store.readHealth());
  }

  /** One round of active checks, all backends at once; forgets backends no longer registered. */
  async probeAll(backends: readonly Backend[], path: string, timeoutMs: number): Promise<void> {
    const probe = this.#options.probe ?? probeBackend;
    const results = await Promise.all(
      backends.map(async (backend) => [backend.id, await probe(backend.url, path, timeoutMs)] as const),
    );
    this.#verdicts.retain(new Set(backends.map((backend) => backend.id)));
    await this.record(results);
  }

  /** Folds observations in, writes the verdicts, and announces `health-changed` if one changed. */
  async record(results: ReadonlyArray<readonly [string, boolean]>): Promise<void> {
    const { store, log } = this.#options;
    const now = this.#options.now();
    const changed = results.filter(([id, passed]) => this.#verdicts.observe(id, passed, now)).map(([id]) => id);
    const records = this.#verdicts.records();
    await store.writeHealth(records);
    if (changed.length === 0) return;
    for (const id of changed) log.warn({ backend: id, healthy: records.get(id)?.healthy }, 'backend health changed');
    await store.publish({ type: 'health-changed' });
  }
}
