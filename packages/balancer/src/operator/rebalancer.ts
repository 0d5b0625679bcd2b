import type { ConnectionRecord } from '../core/session-record.js';
import {
  closeTickMs,
  rebalanceBeatMs,
  rebalanceHoldMs,
  rebalanceOutcomeTtlMs,
  rebalanceRecordTtlMs,
  rebalanceSettleMs,
} from '../core/timings.js';
import { defaultCloseCode } from '../protocol/close-codes.js';
import type { RebalanceRecord, StateStore } from '../state/state-store.js';
import {
  anyMaturing,
  chooseVictims,
  closesByNode,
  readRebalanceView,
  type RebalanceView,
  type VictimRules,
} from './rebalance-round.js';
import type { RebalanceTerms } from './rebalance-terms.js';

/** How often to look again while a node does not route to a routable backend yet (nodes heartbeat it). */
const unseenPollMs = 200;

/** Options of {@link Rebalancer}. */
export interface RebalancerOptions {
  readonly store: StateStore;
  readonly terms: RebalanceTerms;
  readonly now: () => number;
  /** Waits `ms`; a fake one advances a fake clock. Ends early when `signal` aborts. */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Progress, one line at a time (without its newline). */
  readonly report?: (line: string) => void;
  /** Aborted: stop at the next step, as `--for` would. */
  readonly signal?: AbortSignal;
  /** The node running it (`--auto-rebalance`), recorded in its progress. */
  readonly by?: string;
}

/** How a rebalance ended, and how many sessions it closed. */
export interface RebalanceOutcome {
  readonly state: 'balanced' | 'stopped';
  /**
   * Why it stopped of itself, unbalanced: rounds that closed sessions brought it no closer (see
   * {@link maxIdleRounds}), or what is left to move is only clients it already moved or that came
   * since its first close (it closes a client at most once: a new rebalance may move them).
   */
  readonly stalled?: 'no-closer' | 'moved-only';
  readonly closed: number;
  readonly remaining: number;
}

/**
 * Rounds in a row that closed sessions and left as many to move as before, after which a
 * rebalance stops: the reconnections keep landing where they were (`--sticky hash`, clients
 * pinned by something Mooring does not see) or placement cannot meet bounds narrower than a
 * session (a tolerance near 0 with uneven weights). Two: one such round may be bad luck.
 */
const maxIdleRounds = 2;

/**
 * Runs one rebalance from the operator's side (`mooring rebalance`), in rounds: read the routable
 * backends, their cluster-wide counts and the connection table; plan the fewest closes that put
 * every backend within the tolerance of its weighted share (planRebalance); ask the nodes holding
 * the chosen sessions (the oldest of each over-share backend, none under the minimum age) to close
 * them, at `rate` per second for the whole cluster, one `rebalance` event per close tick; then
 * wait until those sessions have left the table and their clients are counted again before the
 * next round plans, so a round never plans on counts that miss the reconnections. Every second it
 * repeats the event (nodes refuse cookie pins to backends above their share while they hear it)
 * and writes its progress for `mooring status`. It ends balanced, stopped by `--for` or the
 * signal, or stalled (see {@link RebalanceOutcome.stalled}); in every case it tells the nodes at
 * once (hold 0).
 */
export class Rebalancer {
  readonly #options: RebalancerOptions;
  readonly #asked = new Set<string>();
  /** Every session listed before its first close: the only ones it may close (see VictimRules.known). */
  readonly #known = new Set<string>();
  readonly #startedAt: number;
  #closed = 0;
  #lastBeat = -Infinity;
  #view: RebalanceView | undefined;
  #unseenSince: { key: string; at: number } | undefined;
  /** What the plan had to move before the last round that closed sessions; undefined after a read. */
  #beforeRound: number | undefined;
  #idleRounds = 0;
  /** Since when no session it may close is left, now or once old enough; undefined while some is. */
  #nothingSince: number | undefined;

  constructor(options: RebalancerOptions) {
    this.#options = options;
    this.#startedAt = options.now();
  }

  /** Rounds until balanced or stopped; resolves with the outcome (Redis failures reject). */
  async run(): Promise<RebalanceOutcome> {
    for (;;) {
      const view = await this.#read();
      // Until the first close is asked, no session can be a reconnection it caused.
      if (this.#asked.size === 0) for (const record of view.sessions) this.#known.add(record.id);
      if (view.plan.balanced) return this.#finish('balanced');
      if (this.#stopped()) return this.#finish('stopped');
      if (this.#stalled(view.plan.moves)) return this.#finish('stopped', 'no-closer');
      if (this.#unseen(view)) {
        await this.#wait(unseenPollMs);
        continue;
      }
      const rules: VictimRules = {
        now: this.#options.now(),
        minAgeMs: this.#options.terms.minAgeMs,
        asked: this.#asked,
        known: this.#known,
      };
      const victims = chooseVictims(view.plan, view.sessions, rules);
      this.#options.report?.(
        `${view.plan.moves} session(s) to move; ${victims.length} old enough to close now (${this.#closed} closed so far)`,
      );
      if (victims.length === 0) {
        if (this.#exhausted(anyMaturing(view.plan, view.sessions, rules))) return this.#finish('stopped', 'moved-only');
        await this.#wait(rebalanceBeatMs);
      } else {
        this.#nothingSince = undefined;
        await this.#settle(await this.#closePaced(victims), view.total);
        this.#beforeRound = view.plan.moves;
      }
    }
  }

  /** Whether the last rounds that closed sessions brought the plan no closer to balance. */
  #stalled(moves: number): boolean {
    if (this.#beforeRound === undefined) return false;
    this.#idleRounds = moves >= this.#beforeRound ? this.#idleRounds + 1 : 0;
    this.#beforeRound = undefined;
    return this.#idleRounds >= maxIdleRounds;
  }

  /**
   * Whether no session it may close has been left for {@link rebalanceSettleMs}: not now, and
   * none that only has to age (`maturing`). Given that long, counts that lagged a reconnection
   * wave have caught up; after it, waiting would never end without `--for`.
   */
  #exhausted(maturing: boolean): boolean {
    if (maturing) {
      this.#nothingSince = undefined;
      return false;
    }
    this.#nothingSince ??= this.#options.now();
    return this.#options.now() - this.#nothingSince >= rebalanceSettleMs;
  }

  /**
   * Whether to wait for every node to route to a backend it does not yet (a scale-out's new
   * backends, just added): at most {@link rebalanceSettleMs} for one set of them, after which a
   * node that never does (its own view of health) holds the rebalance up no longer.
   */
  #unseen(view: RebalanceView): boolean {
    const key = view.unseen.join(',');
    if (key === '') return false;
    if (this.#unseenSince?.key !== key) this.#unseenSince = { key, at: this.#options.now() };
    if (this.#options.now() - this.#unseenSince.at >= rebalanceSettleMs) return false;
    this.#options.report?.(`waiting for every node to route to ${view.unseen.join(', ')}`);
    return true;
  }

  async #read(): Promise<RebalanceView> {
    const first = this.#view === undefined;
    this.#view = await readRebalanceView(this.#options.store, this.#options.terms.tolerance);
    if (first && this.#view.hashing.length > 0) {
      this.#options.report?.(
        `warning: node(s) ${this.#view.hashing.join(', ')} route by consistent hash (--sticky hash without ` +
          '--hash-balance-factor): the sessions moved come back to where they were',
      );
    }
    // The first read announces the rebalance at once; later ones at most every second.
    await this.#beat(first);
    return this.#view;
  }

  /** Asks for the closes, `rate` per second in ticks of 100 ms; resolves with the ids asked for. */
  async #closePaced(victims: readonly ConnectionRecord[]): Promise<ReadonlySet<string>> {
    const sent = new Set<string>();
    const perTick = (this.#options.terms.rate * closeTickMs) / 1000;
    let budget = 0;
    let next = 0;
    while (next < victims.length && !this.#stopped()) {
      // Whole closes only; the fraction carries over, so 5/s closes one every other tick.
      budget = Math.min(budget + perTick, Math.max(1, perTick));
      const batch = victims.slice(next, next + Math.floor(budget));
      next += batch.length;
      budget -= batch.length;
      for (const record of batch) {
        sent.add(record.id);
        this.#asked.add(record.id);
      }
      this.#closed += batch.length;
      if (batch.length > 0) await this.#publish(rebalanceHoldMs, closesByNode(batch));
      await this.#beat(false);
      await this.#wait(closeTickMs);
    }
    return sent;
  }

  /**
   * Waits until none of `closed` is in the table and the routable backends hold at least `total`
   * sessions again (the clients reconnected), or {@link rebalanceSettleMs} passed.
   */
  async #settle(closed: ReadonlySet<string>, total: number): Promise<void> {
    const until = this.#options.now() + rebalanceSettleMs;
    while (this.#options.now() < until && !this.#stopped()) {
      await this.#wait(200);
      const view = await this.#read();
      if (view.total >= total && !view.sessions.some((record) => closed.has(record.id))) return;
    }
  }

  #stopped(): boolean {
    const { terms, signal, now } = this.#options;
    return signal?.aborted === true || (terms.forMs !== undefined && now() >= this.#startedAt + terms.forMs);
  }

  async #wait(ms: number): Promise<void> {
    const { terms, now, sleep, signal } = this.#options;
    const left = terms.forMs === undefined ? ms : Math.min(ms, this.#startedAt + terms.forMs - now());
    if (left > 0) await sleep(left, signal);
  }

  /** Every second (or when `force`d): the event again, so nodes keep holding, and the progress. */
  async #beat(force: boolean): Promise<void> {
    const now = this.#options.now();
    if (!force && now - this.#lastBeat < rebalanceBeatMs) return;
    this.#lastBeat = now;
    await this.#publish(rebalanceHoldMs, []);
    await this.#options.store.writeRebalance(this.#record('running'), rebalanceRecordTtlMs);
  }

  async #finish(state: RebalanceOutcome['state'], stalled?: RebalanceOutcome['stalled']): Promise<RebalanceOutcome> {
    await this.#publish(0, []);
    const record = this.#record(state);
    await this.#options.store.writeRebalance(record, rebalanceOutcomeTtlMs);
    return { state, ...(stalled ? { stalled } : {}), closed: this.#closed, remaining: record.remaining };
  }

  #publish(holdMs: number, closes: ReturnType<typeof closesByNode>): Promise<void> {
    return this.#options.store.publish({ type: 'rebalance', holdMs, code: defaultCloseCode, closes });
  }

  #record(state: RebalanceRecord['state']): RebalanceRecord {
    const { terms, now } = this.#options;
    const plan = this.#view?.plan;
    return {
      state,
      ...(this.#options.by === undefined ? {} : { by: this.#options.by }),
      startedAt: this.#startedAt,
      updatedAt: now(),
      ...(terms.forMs === undefined ? {} : { endsAt: this.#startedAt + terms.forMs }),
      tolerance: terms.tolerance,
      rate: terms.rate,
      minAgeMs: terms.minAgeMs,
      closed: this.#closed,
      remaining: plan?.moves ?? 0,
      backends: (plan?.backends ?? []).map(({ id, live, share, low, high, move }) => ({
        id,
        live,
        share: Math.round(share * 100) / 100,
        low,
        high,
        move,
      })),
    };
  }
}
