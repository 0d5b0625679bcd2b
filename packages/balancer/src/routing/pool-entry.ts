import type { Backend, Candidate } from '../core/backend.js';
import { firstPenaltyMs, maxPenaltyMs } from '../core/timings.js';

/**
 * One backend in a worker's pool: its live sessions and passive health. It is the Candidate
 * that routing decisions hand out, one object per backend for as long as the backend stays, so
 * a decision allocates no candidate objects: `liveConnections` is read when asked.
 */
export class PoolEntry implements Candidate {
  #backend: Backend;
  /** Sessions this worker holds now. */
  #live = 0;
  #consecutiveFailures = 0;
  #passedOverUntil = 0;
  /** Cluster-wide live sessions at the last snapshot, and this worker's part of them. */
  #clusterLive = 0;
  #countedInSnapshot = 0;
  #countsCluster = false;
  /** The shared active health check's verdict. */
  #checkedHealthy: boolean;
  /** Healthy as routing sees it, as of the pool's last refresh (BackendPool#refresh). */
  #healthy = true;

  constructor(backend: Backend, checkedHealthy: boolean) {
    this.#backend = backend;
    this.#checkedHealthy = checkedHealthy;
  }

  get backend(): Backend {
    return this.#backend;
  }

  set backend(backend: Backend) {
    this.#backend = backend;
  }

  /** Live sessions: cluster-wide when shared state is on, else this worker's. */
  get liveConnections(): number {
    return this.#countsCluster ? Math.max(0, this.#clusterLive + this.#live - this.#countedInSnapshot) : this.#live;
  }

  get healthy(): boolean {
    return this.#healthy;
  }

  get live(): number {
    return this.#live;
  }

  get checkedHealthy(): boolean {
    return this.#checkedHealthy;
  }

  set checkedHealthy(healthy: boolean) {
    this.#checkedHealthy = healthy;
  }

  /** When passive health takes the backend back (0: not passed over). */
  get passedOverUntil(): number {
    return this.#passedOverUntil;
  }

  acquire(): void {
    this.#live++;
  }

  release(): void {
    if (this.#live > 0) this.#live--;
  }

  /**
   * Takes a cluster snapshot that counted `counted` of this worker's sessions: the difference to
   * its `live`, now and until the next snapshot, is what the snapshot has not seen yet.
   */
  snapshot(clusterLive: number, counted: number): void {
    this.#countsCluster = true;
    this.#clusterLive = clusterLive;
    this.#countedInSnapshot = counted;
  }

  /** A connection failed: pass the backend over for a doubling penalty. */
  fail(now: number): void {
    this.#consecutiveFailures++;
    const penalty = Math.min(firstPenaltyMs * 2 ** (this.#consecutiveFailures - 1), maxPenaltyMs);
    this.#passedOverUntil = now + penalty;
  }

  /** The backend answered: forget its failures. Returns whether that changed its health. */
  succeed(): boolean {
    if (this.#consecutiveFailures === 0) return false;
    this.#consecutiveFailures = 0;
    this.#passedOverUntil = 0;
    return true;
  }

  /** Health for routing: the checker's verdict and no running penalty, unless `forced`. */
  refresh(now: number, forced: boolean): void {
    this.#healthy = forced || (this.#checkedHealthy && this.#passedOverUntil <= now);
  }

  /** Healthy and active, ignoring the forced fallback (BackendPool#refresh decides on that). */
  isUsable(now: number): boolean {
    return this.#checkedHealthy && this.#passedOverUntil <= now && this.#backend.state === 'active';
  }
}
