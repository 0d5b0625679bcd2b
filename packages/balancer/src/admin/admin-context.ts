import type { Logger } from 'pino';
import type { ControlPlaneView } from '../control-plane/node-control-plane.js';
import type { StateStore } from '../state/state-store.js';

/** What `/readyz` reports about this node. */
export interface NodeHealth {
  /** Workers currently listening. */
  readonly listeningWorkers: number;
  readonly shuttingDown: boolean;
  /** The shared state is unreachable: the node routes from its last known state. */
  readonly degraded: boolean;
}

/** One worker process of this node. */
export interface WorkerView {
  /** The cluster worker id (the `worker` of the connection table and the logs). */
  readonly id: number;
  readonly pid: number | undefined;
  /** `serving` takes new connections; `retiring` keeps its live ones until they end (SIGHUP). */
  readonly state: 'serving' | 'retiring';
}

/** This node as its primary sees it: always available, also while the shared state is down. */
export interface LocalNodeView {
  readonly nodeId: string;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  readonly listen: string;
  readonly admin: string;
  readonly shuttingDown: boolean;
  readonly workers: readonly WorkerView[];
  readonly controlPlane: ControlPlaneView;
}

/** One point of the dashboard's chart: sampled every second by the primary. */
export interface TrafficPoint {
  /** Milliseconds since the epoch. */
  readonly at: number;
  /** Live WebSockets on this node. */
  readonly live: number;
  /** WebSocket handshakes accepted per second on this node, over the last second. */
  readonly handshakesPerSecond: number;
}

/**
 * Everything the admin listener serves from, handed over by the primary. Each route module
 * reads what it needs; none of them reaches into the primary itself.
 */
export interface AdminContext {
  readonly log: Logger;
  readonly now: () => number;
  /** For `/readyz`. */
  readonly health: () => NodeHealth;
  /** Prometheus text of this node (workers aggregated, plus the primary's own metrics). */
  readonly metricsText: () => Promise<string>;
  /** This node, from the primary. */
  readonly local: () => LocalNodeView;
  /** The shared state, for the cluster view and for mutations (the CLI's operations). */
  readonly store: StateStore;
  /** The bearer token mutations require; undefined: mutations are refused (403). */
  readonly adminToken: string | undefined;
  /** The last minutes of this node's traffic, oldest first. */
  readonly trafficHistory: () => readonly TrafficPoint[];
}
