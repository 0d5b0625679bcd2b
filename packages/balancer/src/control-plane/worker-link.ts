import type { Backend } from '../core/backend.js';
import type { CloseReason } from './close-pacer.js';
import type { WorkerCounts } from './cluster-counts.js';

/**
 * How the control plane talks to the node's workers, without knowing the IPC channel: the
 * supervisor maps each call to its message. Calls are fire-and-forget, never awaited.
 */
export interface WorkerLink {
  /** The full membership: static backends merged with the registry. */
  broadcastBackends(backends: readonly Backend[]): void;
  /** Backends the shared health check holds down. */
  broadcastHealth(unhealthy: readonly string[]): void;
  /** Cluster-wide live sessions per backend, and each worker's own as the primary knew them. */
  broadcastCounts(counts: WorkerCounts): void;
  /** Close one session gently (drain deadline, shutdown) with this close code. */
  closeSession(worker: number, id: string, code: number, reason: CloseReason): void;
  /** Whether cookie pins to backends above their share get a fresh choice (a rebalance holds the node). */
  broadcastRebalancing?(holding: boolean): void;
}

/** Everything a newly forked worker needs before it serves. */
export interface WorkerSnapshot {
  readonly backends: readonly Backend[];
  readonly unhealthy: readonly string[];
  readonly counts: WorkerCounts;
  /** Whether a rebalance holds the node (see RebalanceFollower). */
  readonly rebalancing: boolean;
}
