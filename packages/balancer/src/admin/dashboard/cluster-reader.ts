import type { StateStore } from '../../state/state-store.js';
import type { ClusterSnapshot } from './dashboard-status.js';

/**
 * A read of the cluster older than this is shown as stale: about three of the dashboard's
 * one-second refreshes, so one slow answer does not flash the page.
 */
const staleAfterMs = 3_000;

/**
 * The other nodes, their live counts and the health records, read from the shared state when
 * asked (the dashboard asks once a second while someone watches). Reads never overlap, and a
 * failed read keeps the last snapshot: when Redis is down the dashboard shows the last known
 * cluster, marked stale. Failures are not logged here: the control plane already reports the
 * node degraded once, and a page left open must not log every second.
 */
export class ClusterReader {
  readonly #store: StateStore;
  readonly #now: () => number;
  #last: ClusterSnapshot | undefined;
  #failing = false;
  #reading: Promise<void> | undefined;

  constructor(store: StateStore, now: () => number) {
    this.#store = store;
    this.#now = now;
  }

  /** The last successful read. */
  get last(): ClusterSnapshot | undefined {
    return this.#last;
  }

  /** Whether the dashboard should say the cluster part is not current. */
  stale(): boolean {
    return this.#last === undefined || this.#failing || this.#now() - this.#last.readAt > staleAfterMs;
  }

  /** Reads the cluster, or joins the read in flight; never rejects. */
  refresh(): Promise<void> {
    this.#reading ??= this.#read().finally(() => {
      this.#reading = undefined;
    });
    return this.#reading;
  }

  async #read(): Promise<void> {
    try {
      const [nodes, counts, health] = await Promise.all([
        this.#store.listNodes(),
        this.#store.liveCounts(),
        this.#store.readHealth(),
      ]);
      this.#last = { readAt: this.#now(), nodes, perNode: counts.perNode, health };
      this.#failing = false;
    } catch {
      this.#failing = true;
    }
  }
}
