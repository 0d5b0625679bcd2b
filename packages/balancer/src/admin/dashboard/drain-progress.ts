import type { DrainRecord } from '../../state/state-store.js';

/**
 * The count each drain started from, for the dashboard's progress bar. The shared state keeps
 * a drain's terms but not how many sessions it had to move, so the dashboard records the count
 * when it first sees the drain. It keeps the largest count seen since: the first sighting may
 * come before the cluster counts have caught up, and the bar must stay between 0 and 100 %.
 * A drain started again (a new `startedAt`) starts from its own count.
 */
export class DrainProgress {
  readonly #seen = new Map<string, { readonly startedAt: number; readonly atStart: number }>();

  /** Records `remaining` for the drain of `backend`; returns the count it started from. */
  observe(backend: string, drain: DrainRecord, remaining: number): number {
    const seen = this.#seen.get(backend);
    const atStart = seen?.startedAt === drain.startedAt ? Math.max(seen.atStart, remaining) : remaining;
    this.#seen.set(backend, { startedAt: drain.startedAt, atStart });
    return atStart;
  }

  /** Forgets the drains that are no longer in progress. */
  retain(draining: ReadonlySet<string>): void {
    for (const backend of this.#seen.keys()) if (!draining.has(backend)) this.#seen.delete(backend);
  }

  get size(): number {
    return this.#seen.size;
  }
}
