/**
 * Lets at most one report per key through per interval: a dead backend refuses every worker's
 * every attempt, and one passive-failure report per half second is enough. Pure: time comes in.
 */
export class ReportThrottle {
  readonly #intervalMs: number;
  readonly #last = new Map<string, number>();

  constructor(intervalMs: number) {
    this.#intervalMs = intervalMs;
  }

  /** True (and remembered) when `key` was not let through within the interval before `now`. */
  admit(key: string, now: number): boolean {
    const last = this.#last.get(key);
    if (last !== undefined && last > now - this.#intervalMs) return false;
    this.#last.set(key, now);
    return true;
  }
}
