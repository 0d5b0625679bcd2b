import type { ConnectionRecord } from '../core/session-record.js';
import type { DrainRecord } from '../state/state-store.js';
import { closesForTick, jitteredOffsets } from './close-pacing.js';

/** Asks a worker to close one of its sessions gently with this close code. */
export type CloseRequest = (record: ConnectionRecord, code: number) => void;

/** Ticks of the scheduler; each tick's closes are spread with jitter inside it. */
export const closeTickMs = 100;

/**
 * The primary's side of paced closing: each tick it picks which of this node's sessions to close
 * for every drain past its deadline (and, during shutdown, for all of them), and asks their
 * workers to close them at jittered moments. Sessions asked once are not asked again.
 */
export class CloseScheduler {
  readonly #request: CloseRequest;
  readonly #carry = new Map<string, number>();
  readonly #asked = new Set<string>();
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(request: CloseRequest) {
    this.#request = request;
  }

  /**
   * One tick. `drains` are the backends being drained; `sessions` this node's live table;
   * `clusterLive` the cluster-wide count per backend; `shutdown` closes every session at its rate.
   */
  tick(now: number, drains: ReadonlyMap<string, DrainRecord>, sessions: readonly ConnectionRecord[], clusterLive: ReadonlyMap<string, number>, shutdown?: { rate: number; code: number }): void {
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
      const terms = drain && drain.deadlineAt <= now ? { rate: drain.closeRate, code: drain.closeCode, cluster: clusterLive.get(backend) ?? 0 } : undefined;
      // A shutdown's rate is for the whole node: each backend gets its share of it.
      const plan = terms ?? (shutdown ? { ...shutdown, cluster: waitingTotal } : undefined);
      if (plan) this.#schedule(backend, list, plan);
    }
  }

  /** Forgets sessions that have closed (the table no longer lists them). */
  forget(liveIds: ReadonlySet<string>): void {
    for (const id of this.#asked) if (!liveIds.has(id)) this.#asked.delete(id);
  }

  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  #schedule(backend: string, list: ConnectionRecord[], plan: { rate: number; code: number; cluster: number }): void {
    const { count, carry } = closesForTick({ localLive: list.length, clusterLive: plan.cluster, rate: plan.rate, tickMs: closeTickMs, carry: this.#carry.get(backend) ?? 0 });
    this.#carry.set(backend, carry);
    // Oldest first: they have had the longest time to finish on their own.
    const victims = [...list].sort((a, b) => a.startedAt - b.startedAt).slice(0, count);
    jitteredOffsets(victims.length, closeTickMs).forEach((offset, index) => {
      const record = victims[index]!;
      this.#asked.add(record.id);
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#request(record, plan.code);
      }, offset);
      this.#timers.add(timer);
    });
  }
}
