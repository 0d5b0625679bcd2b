import type { Logger } from 'pino';
import { autoRebalanceCheckMs } from '../core/timings.js';
import { readRebalanceView } from '../operator/rebalance-round.js';
import { checkRebalanceTerms, type RebalanceTerms } from '../operator/rebalance-terms.js';
import { Rebalancer, type RebalanceOutcome } from '../operator/rebalancer.js';
import type { StateStore } from '../state/state-store.js';

/** The lease that makes one node at a time the fleet's auto-rebalancer (`{<prefix>:backends}:lease:rebalance`). */
export const autoRebalanceLease = 'rebalance';

/** Options of {@link AutoRebalance}. */
export interface AutoRebalanceOptions {
  readonly store: StateStore;
  readonly nodeId: string;
  readonly log: Logger;
  readonly now?: () => number;
  /** Period of the checks; the lease lasts three of them. */
  readonly intervalMs?: number;
  /** The rebalance's terms: `mooring rebalance`'s defaults (10 %, 20/s, 30 s) unless given. */
  readonly terms?: RebalanceTerms;
}

/** Where an {@link AutoRebalance} is: off, checking every interval, or closed. */
export type AutoRebalanceState = 'off' | 'checking' | 'closed';

/**
 * `--auto-rebalance true`: what `mooring rebalance` does, run by the fleet itself. Every interval
 * each node tries to take (or renew) one lease; the holder reads the shares and, when a backend is
 * out of the tolerance and no `mooring rebalance` is running, runs the same Rebalancer the command
 * runs, until balanced. A holder that dies lets the lease expire after three intervals and another
 * node takes over; the rebalance it was running stops with it (its nodes stop holding within 5 s).
 */
export class AutoRebalance {
  readonly #options: AutoRebalanceOptions;
  readonly #now: () => number;
  readonly #terms: RebalanceTerms;
  #state: AutoRebalanceState = 'off';
  #timer: NodeJS.Timeout | undefined;
  #checking: Promise<void> | undefined;
  #running: { abort: AbortController; done: Promise<void> } | undefined;
  /** The backends (ids and weights) of a rebalance that stalled: not tried again until they change. */
  #stalledOn: string | undefined;

  constructor(options: AutoRebalanceOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#terms = options.terms ?? checkRebalanceTerms({});
  }

  get state(): AutoRebalanceState {
    return this.#state;
  }

  /** Whether this node is running a rebalance now. */
  get running(): boolean {
    return this.#running !== undefined;
  }

  /**
   * On (at start, or a SIGHUP that turns it on): checks every interval from now on, the first one
   * interval from now. Off: no further check; a rebalance in progress stops and the lease is given up.
   */
  async setEnabled(enabled: boolean): Promise<void> {
    if (this.#state === 'closed' || enabled === (this.#state === 'checking')) return;
    if (enabled) {
      this.#state = 'checking';
      this.#timer = setInterval(() => void this.check(), this.#interval());
      return;
    }
    this.#state = 'off';
    await this.#quiesce();
  }

  /** One check (the timer's; public for tests). Never rejects: a store failure waits for the next. */
  check(): Promise<void> {
    if (this.#state !== 'checking') return Promise.resolve();
    this.#checking ??= this.#check()
      .catch((err: unknown) => this.#options.log.warn({ err }, 'auto-rebalance check failed'))
      .finally(() => (this.#checking = undefined));
    return this.#checking;
  }

  /** Graceful: no further check; a rebalance in progress stops (the nodes are told); the lease is given up. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    await this.#quiesce();
  }

  /** Immediate: no further check; a rebalance in progress stops at its next step; the lease expires. */
  destroy(): void {
    this.#state = 'closed';
    clearInterval(this.#timer);
    this.#running?.abort.abort();
  }

  async #quiesce(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#checking;
    await this.#stopRunning();
    await this.#options.store.releaseLease(autoRebalanceLease, this.#options.nodeId).catch(() => {});
  }

  async #check(): Promise<void> {
    const { store, nodeId } = this.#options;
    const held = await store.acquireLease(autoRebalanceLease, nodeId, 3 * this.#interval());
    if (this.#state !== 'checking') return;
    if (!held) return this.#stopRunning();
    // An operator's `mooring rebalance` in progress has the floor: ours stops, or does not start.
    const record = await store.readRebalance();
    const another = record?.state === 'running' && record.by !== nodeId;
    if (this.#running) return another ? this.#stopRunning() : undefined;
    if (another) return;
    const view = await readRebalanceView(store, this.#terms.tolerance);
    if (view.plan.balanced || this.#state !== 'checking') return;
    // Sessions that keep coming back (hash stickiness) would be closed again and again: a stalled
    // rebalance waits for a change of backends.
    const backends = view.plan.backends.map(({ id, weight }) => `${id}:${weight}`).join(',');
    if (backends === this.#stalledOn) return;
    this.#stalledOn = undefined;
    this.#begin(view.plan.moves, backends);
  }

  #begin(moves: number, backends: string): void {
    const { store, nodeId, log } = this.#options;
    const abort = new AbortController();
    log.info({ moves, terms: this.#terms }, 'auto-rebalance started');
    const rebalancer = new Rebalancer({
      store,
      terms: this.#terms,
      now: this.#now,
      sleep: abortableSleep,
      signal: abort.signal,
      by: nodeId,
    });
    const done = rebalancer
      .run()
      .then((outcome: RebalanceOutcome) => {
        // Only moved clients left over-share: the next check may start a new one, which may move them.
        if (outcome.stalled === 'no-closer') this.#stalledOn = backends;
        log.info(outcome, 'auto-rebalance ended');
      })
      .catch((err: unknown) => log.warn({ err }, 'auto-rebalance failed'))
      .finally(() => (this.#running = undefined));
    this.#running = { abort, done };
  }

  async #stopRunning(): Promise<void> {
    const running = this.#running;
    if (!running) return;
    running.abort.abort();
    await running.done;
  }

  #interval(): number {
    return this.#options.intervalMs ?? autoRebalanceCheckMs;
  }
}

/** A sleep that an aborted signal ends at once. */
function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
