import type { ConnectionRecord } from '../core/session-record.js';
import type { DrainRecord } from '../state/state-store.js';
import { CloseScheduler, type ShutdownTerms } from './close-scheduler.js';
import { closeTickMs } from '../core/timings.js';

/** Why the primary asks a worker to close a session. */
export type CloseReason = 'drain' | 'shutdown' | 'rebalance';

/** Where a {@link ClosePacer} is: ticking for drains, ticking for shutdown too, or done. */
export type ClosePacerState = 'idle' | 'pacing' | 'shutting-down' | 'closed';

/** This node's live sessions, as the pacer reads them each tick. */
export interface PacedSessions {
  records(): ConnectionRecord[];
  ids(): Set<string>;
}

/** Options of {@link ClosePacer}. */
export interface ClosePacerOptions {
  readonly sessions: PacedSessions;
  /** Drains in progress, as last read. */
  readonly drains: () => ReadonlyMap<string, DrainRecord>;
  /** Cluster-wide live sessions per backend, as last read. */
  readonly clusterLive: () => ReadonlyMap<string, number>;
  /** Asks the session's worker to close it gently. */
  readonly close: (record: ConnectionRecord, code: number, reason: CloseReason) => void;
  readonly now?: () => number;
  /** Source of the jitter; tests pass a seeded one. */
  readonly random?: () => number;
  readonly tickMs?: number;
}

/**
 * Paces the closes the primary asks for: after a drain's deadline its remaining sessions are
 * closed at the drain's cluster-wide rate (this node taking its share), and during shutdown
 * every session is closed at the shutdown rate for the whole node. Every tick it hands the
 * pure CloseScheduler the current drains, table and counts.
 */
export class ClosePacer {
  readonly #options: ClosePacerOptions;
  readonly #now: () => number;
  readonly #scheduler: CloseScheduler;
  #state: ClosePacerState = 'idle';
  #shutdown: ShutdownTerms | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(options: ClosePacerOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    const reason = (): CloseReason => (this.#shutdown ? 'shutdown' : 'drain');
    this.#scheduler = new CloseScheduler((record, code) => options.close(record, code, reason()), options);
  }

  get state(): ClosePacerState {
    return this.#state;
  }

  /** Ticks from now on. */
  start(): void {
    if (this.#state !== 'idle') return;
    this.#state = this.#shutdown ? 'shutting-down' : 'pacing';
    this.#timer = setInterval(() => this.tick(), this.#options.tickMs ?? closeTickMs);
  }

  /**
   * SIGTERM: close this node's sessions gently at `rate` per second from now on (drains past
   * their deadline keep their own terms). The first tick is now.
   */
  beginShutdown(rate: number, code: number): void {
    if (this.#state === 'closed') return;
    this.#shutdown = { rate, code };
    if (this.#state === 'pacing') this.#state = 'shutting-down';
    this.tick();
  }

  /** One tick of pacing (the timer's; public so that shutdown and tests can tick at once). */
  tick(): void {
    if (this.#state === 'closed') return;
    const now = this.#now();
    const drains = this.#options.drains();
    // Most of the time nothing is due: skip copying the table (it may hold many thousands).
    if (!this.#shutdown && ![...drains.values()].some((drain) => drain.deadlineAt <= now)) return;
    const { sessions, clusterLive } = this.#options;
    this.#scheduler.forget(sessions.ids());
    this.#scheduler.tick(now, drains, sessions.records(), clusterLive(), this.#shutdown);
  }

  /** Graceful: no further tick; resolves once the closes already scheduled have been asked for. */
  async close(): Promise<void> {
    this.#stopTicking();
    await this.#scheduler.whenSent();
  }

  /** Immediate: no further tick, and the closes not yet asked for are dropped. */
  destroy(): void {
    this.#stopTicking();
    this.#scheduler.stop();
  }

  #stopTicking(): void {
    this.#state = 'closed';
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
