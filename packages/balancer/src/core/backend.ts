/** Whether a backend takes new sessions (`active`) or only keeps its live ones (`draining`). */
export type BackendState = 'active' | 'draining';

/** One backend as every routing decision sees it: plain data, no sockets. */
export interface Backend {
  /** Operator-chosen identifier; stable across nodes and restarts. */
  readonly id: string;
  /** Origin of the backend, e.g. `http://127.0.0.1:3001`. */
  readonly url: string;
  /** Relative capacity; a weight of 2 takes about twice the sessions of weight 1. */
  readonly weight: number;
  readonly state: BackendState;
}

/** A backend together with what the router knows about its load and health right now. */
export interface Candidate {
  readonly backend: Backend;
  /** Live sessions on this backend (cluster-wide when shared state is on, else this worker's). */
  readonly liveConnections: number;
  readonly healthy: boolean;
}
