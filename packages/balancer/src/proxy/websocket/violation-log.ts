import type { RuleViolation } from './tunnel-policies.js';

/** At most one line per this many milliseconds per session. */
const logEveryMs = 1_000;

/**
 * The `message rule violated` lines of one session, at most one per second: a client breaking a
 * `log` rule ten thousand times a second must not flood the log (the metric counts every one).
 * Each line says how many violations were left out since the one before.
 */
export class ViolationLog {
  readonly #write: (violation: RuleViolation, suppressed: number) => void;
  readonly #now: () => number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #suppressed = 0;

  constructor(write: (violation: RuleViolation, suppressed: number) => void, now: () => number = Date.now) {
    this.#write = write;
    this.#now = now;
  }

  report(violation: RuleViolation): void {
    const now = this.#now();
    if (now - this.#lastAt < logEveryMs) {
      this.#suppressed++;
      return;
    }
    this.#lastAt = now;
    this.#write(violation, this.#suppressed);
    this.#suppressed = 0;
  }
}
