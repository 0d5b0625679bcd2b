/** How a session was routed (DESIGN "Routing"; issue: sticky sessions). */
export type RouteKind = 'balance' | 'cookie' | 'cookie-repinned' | 'hash' | 'hash-overflow' | 'fallback' | 'failover';

/** One live WebSocket session in the cluster-wide connection table. */
export interface ConnectionRecord {
  readonly id: string;
  readonly node: string;
  readonly worker: number;
  readonly backend: string;
  readonly client: string;
  readonly route: RouteKind;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
}
