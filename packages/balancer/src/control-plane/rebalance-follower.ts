import type { ConnectionRecord } from '../core/session-record.js';
import { closeTickMs } from '../core/timings.js';
import type { RebalanceEvent } from '../state/state-store.js';
import { jitteredOffsets } from './close-pacing.js';

/** Options of {@link RebalanceFollower}. */
export interface RebalanceFollowerOptions {
  readonly nodeId: string;
  /** This node's live sessions (the connection table). */
  readonly sessions: { records(): ConnectionRecord[] };
  /** Asks the session's worker to close it gently with `code`. */
  readonly close: (record: ConnectionRecord, code: number) => void;
  /** Whether the node's workers hold cookie pins to backends above their share, each time it changes. */
  readonly onHold: (holding: boolean) => void;
  /** Source of the jitter; tests pass a seeded one. */
  readonly random?: () => number;
  readonly tickMs?: number;
}

/** Where a {@link RebalanceFollower} is: following events, or closed. */
export type RebalanceFollowerState = 'following' | 'closed';

/**
 * A node's side of `mooring rebalance`. The command paces the closes for the whole cluster, one
 * `rebalance` event per close tick naming the sessions of each node; this closes those of its own
 * node that are still live, at jittered moments within the tick (as ClosePacer spreads a drain's),
 * so clients of different nodes do not reconnect in lockstep. Each event also holds the node for
 * `holdMs` (0 ends it): while held, workers give a client whose sticky cookie names a backend above
 * its share a fresh choice, so a moved session does not come straight back. A command that dies
 * sends no more events and the hold lapses on its own.
 */
export class RebalanceFollower {
  readonly #options: RebalanceFollowerOptions;
  readonly #timers = new Set<NodeJS.Timeout>();
  #holdTimer: NodeJS.Timeout | undefined;
  #holding = false;
  #sent: Array<() => void> = [];
  #state: RebalanceFollowerState = 'following';

  constructor(options: RebalanceFollowerOptions) {
    this.#options = options;
  }

  get state(): RebalanceFollowerState {
    return this.#state;
  }

  /** Whether a rebalance holds this node now. */
  get holding(): boolean {
    return this.#holding;
  }

  /** Closes scheduled and not yet asked for. */
  get pending(): number {
    return this.#timers.size;
  }

  /** One event of the command (on the store's subscription). */
  onEvent(event: RebalanceEvent): void {
    if (this.#state === 'closed') return;
    this.#hold(event.holdMs);
    const ids = new Set(event.closes.filter(({ node }) => node === this.#options.nodeId).flatMap(({ ids }) => ids));
    if (ids.size === 0) return;
    // A session that ended since the command read the table is no longer listed: nothing to close.
    const records = this.#options.sessions.records().filter((record) => ids.has(record.id));
    const offsets = jitteredOffsets(records.length, this.#options.tickMs ?? closeTickMs, this.#options.random);
    records.forEach((record, index) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#options.close(record, event.code);
        this.#settle();
      }, offsets[index]);
      this.#timers.add(timer);
    });
  }

  /** Graceful: closes already scheduled are still asked for (within one tick); the hold ends. */
  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#hold(0);
    if (this.#timers.size > 0) await new Promise<void>((resolve) => this.#sent.push(resolve));
  }

  /** Immediate: closes not yet asked for are dropped; the hold ends. */
  destroy(): void {
    this.#state = 'closed';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#hold(0);
    this.#settle();
  }

  #settle(): void {
    if (this.#timers.size > 0) return;
    const sent = this.#sent;
    this.#sent = [];
    for (const resolve of sent) resolve();
  }

  #hold(holdMs: number): void {
    clearTimeout(this.#holdTimer);
    this.#holdTimer = holdMs > 0 ? setTimeout(() => this.#hold(0), holdMs) : undefined;
    const holding = holdMs > 0;
    if (holding === this.#holding) return;
    this.#holding = holding;
    this.#options.onHold(holding);
  }
}
