import type { ConnectionRecord } from '../core/session-record.js';
import type { DrainRecord } from '../state/state-store.js';
import { closesForTick, jitteredOffsets } from './close-pacing.js';
import { closeTickMs as defaultTickMs } from '../core/timings.js';

/** Asks a worker to close one of its sessions gently with this close code. */
export type CloseRequest = (record: ConnectionRecord, code: number) => void;

/** A shutdown's terms: closes per second for the whole node, and the close code. */
export interface ShutdownTerms {
  readonly rate: number;
  readonly code: number;
}

/** Options of {@link CloseScheduler}. */
export interface CloseSchedulerOptions {
  /** Length of one tick; its closes are spread inside it. */
  readonly tickMs?: number;
  /** Source of the jitter; tests pass a seeded one. */
  readonly random?: () => number;
}

/**
 * The primary's side of paced closing: each tick it picks which of this node's sessions to close
 * for every drain past its deadline (and, during shutdown, for all of them), and asks their
 * workers to close them at jittered moments. Sessions asked once are not asked again.
 */
export class CloseScheduler {
  readonly #request: CloseRequest;
  readonly #tickMs: number;
  readonly #random: () => number;
  readonly #carry = new Map<string, number>();
  readonly #asked = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #sent: Array<() => void> = [];

  constructor(request: CloseRequest, options: CloseSchedulerOptions = {}) {
    this.#request = request;
    this.#tickMs = options.tickMs ?? defaultTickMs;
    this.#random = options.random ?? Math.random;
  }

  /** Closes scheduled and not yet asked for. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * One tick. `drains` are the backends being drained; `sessions` this node's live table;
   * `clusterLive` the cluster-wide count per backend; `shutdown` closes every session at its rate.
   */
  tick(
    now: number,
    drains: ReadonlyMap<string, DrainRecord>,
    sessions: readonly ConnectionRecord[],
    clusterLive: ReadonlyMap<string, number>,
    shutdown?: ShutdownTerms,
  ): void {
    const waiting = new Map<string, ConnectionRecord[]>();
    for (const record of sessions) {
      if (this.#asked.has(record.id)) continue;
      const list = waiting.get(record.backend) ?? [];
      list.push(record);
      waiting.set(record.backend, list);
    }
    const waitingTotal = [...waiting.values()].reduce((sum, list) => sum + list.length, 0);
    for (const [backend, list] of waiting) {
      const drain = drains.get(backend);
      const cluster = clusterLive.get(backend) ?? 0;
      const due = drain !== undefined && drain.deadlineAt <= now;
      const terms = due ? { rate: drain.closeRate, code: drain.closeCode, cluster } : undefined;
      // A shutdown's rate is for the whole node: each backend gets its share of it.
      const plan = terms ?? (shutdown ? { ...shutdown, cluster: waitingTotal } : undefined);
      if (plan) this.#schedule(backend, list, plan);
    }
  }

  /** Forgets sessions that have closed (the table no longer lists them). */
  forget(liveIds: ReadonlySet<string>): void {
    for (const id of this.#asked) if (!liveIds.has(id)) this.#asked.delete(id);
  }

  /** Resolves once every close scheduled so far has been asked for (at most one tick). */
  whenSent(): Promise<void> {
    if (this.#timers.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.#sent.push(resolve));
  }

  /** Drops the closes not yet asked for. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    this.#settle();
  }

  #schedule(backend: string, list: ConnectionRecord[], plan: ShutdownTerms & { cluster: number }): void {
    const carry = this.#carry.get(backend) ?? 0;
    const tickMs = this.#tickMs;
    const share = closesForTick({ localLive: list.length, clusterLive: plan.cluster, rate: plan.rate, tickMs, carry });
    this.#carry.set(backend, share.carry);
    // Oldest first: they have had the longest time to finish on their own.
    const victims = [...list].sort((a, b) => a.startedAt - b.startedAt).slice(0, share.count);
    jitteredOffsets(victims.length, tickMs, this.#random).forEach((offset, index) => {
      const record = victims[index]!;
      this.#asked.add(record.id);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#request(record, plan.code);
        this.#settle();
      }, offset);
      this.#timers.add(timer);
    });
  }

  #settle(): void {
    if (this.#timers.size > 0) return;
    const sent = this.#sent;
    this.#sent = [];
    for (const resolve of sent) resolve();
  }
}
