import type { HealthRecord } from '../state/state-store.js';

interface Verdict {
  healthy: boolean;
  since: number;
  /** Consecutive observations that disagree with the verdict, counted towards rise or fall. */
  against: number;
  /** Consecutive observations of the latest kind. */
  streak: number;
  lastPassed: boolean;
}

/**
 * Rise/fall bookkeeping of the active health check (as HAProxy's `rise`/`fall`): a healthy
 * backend goes down after `fall` consecutive failures, a down one comes back after `rise`
 * consecutive passes. Pure: observations and time come in, verdicts go out.
 */
export class HealthTracker {
  readonly #rise: number;
  readonly #fall: number;
  readonly #node: string;
  readonly #verdicts = new Map<string, Verdict>();

  constructor(options: { rise: number; fall: number; node: string }) {
    this.#rise = options.rise;
    this.#fall = options.fall;
    this.#node = options.node;
  }

  /** Records one check (or passive failure); returns true when the verdict changed. */
  observe(id: string, passed: boolean, now: number): boolean {
    const verdict = this.#verdicts.get(id) ?? { healthy: true, since: now, against: 0, streak: 0, lastPassed: true };
    this.#verdicts.set(id, verdict);
    verdict.streak = passed === verdict.lastPassed ? verdict.streak + 1 : 1;
    verdict.lastPassed = passed;
    if (passed === verdict.healthy) {
      verdict.against = 0;
      return false;
    }
    verdict.against++;
    if (verdict.against < (verdict.healthy ? this.#fall : this.#rise)) return false;
    verdict.healthy = passed;
    verdict.since = now;
    verdict.against = 0;
    return true;
  }

  /** Continues from what another checker wrote (the lease moved to this node). */
  load(records: ReadonlyMap<string, HealthRecord>): void {
    for (const [id, record] of records) {
      const { healthy, since, streak } = record;
      this.#verdicts.set(id, { healthy, since, against: 0, streak, lastPassed: healthy });
    }
  }

  /** Forgets backends that are no longer registered. */
  retain(ids: ReadonlySet<string>): void {
    for (const id of this.#verdicts.keys()) if (!ids.has(id)) this.#verdicts.delete(id);
  }

  records(): Map<string, HealthRecord> {
    const records = new Map<string, HealthRecord>();
    for (const [id, { healthy, since, streak }] of this.#verdicts) {
      records.set(id, { healthy, since, checkedBy: this.#node, streak });
    }
    return records;
  }
}
