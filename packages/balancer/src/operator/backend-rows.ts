import type { BackendState } from '../core/backend.js';
import type { DrainRecord, StateStore } from '../state/state-store.js';

/** One backend as `backend list`, `status` and `GET /api/v1/backends` show it; a stable JSON shape. */
export interface BackendRow {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly state: BackendState;
  /** The shared active health check's verdict; `unknown` before the first check. */
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  /** Live WebSocket sessions, cluster-wide. */
  readonly live: number;
  /** Live WebSocket sessions per node. */
  readonly liveByNode: Readonly<Record<string, number>>;
  /** Terms of the drain in progress, if the backend is draining. */
  readonly drain?: { readonly deadlineAt: string; readonly closeRate: number; readonly closeCode: number };
  /**
   * Present for an entry kept alive by `mooring backend announce`: its TTL and what is left of it
   * (0: lapsed, about to be removed by the nodes; no new session goes to it). Absent for an operator's entry.
   */
  readonly lease?: { readonly ttlMs: number; readonly remainingMs: number };
}

/** A registry entry that was skipped, as the rows list it. */
export interface MalformedRow {
  readonly id: string;
  readonly reason: string;
}

/** Reads the registry, shared health and live counts into rows, sorted by id. */
export async function readBackendRows(store: StateStore): Promise<{ rows: BackendRow[]; malformed: MalformedRow[] }> {
  const [registry, health, counts, drains, leases] = await Promise.all([
    store.readRegistry(),
    store.readHealth(),
    store.liveCounts(),
    store.readDrains(),
    store.readLeases(),
  ]);
  const rows = registry.backends
    .map((backend): BackendRow => {
      const record = health.get(backend.id);
      return {
        id: backend.id,
        url: backend.url,
        weight: backend.weight,
        state: backend.state,
        health: record === undefined ? 'unknown' : record.healthy ? 'healthy' : 'unhealthy',
        live: counts.total.get(backend.id) ?? 0,
        liveByNode: liveByNode(counts.perNode, backend.id),
        ...drainOf(drains.get(backend.id)),
        ...(backend.lease ? { lease: { ttlMs: backend.lease.ttlMs, remainingMs: leases.get(backend.id) ?? 0 } } : {}),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { rows, malformed: registry.malformed.map((entry) => ({ id: entry.id, reason: entry.reason })) };
}

/** The nodes holding live sessions on `backend`, with how many each (nodes with none are left out). */
export function liveByNode(
  perNode: ReadonlyMap<string, ReadonlyMap<string, number>>,
  backend: string,
): Record<string, number> {
  const result: Record<string, number> = {};
  for (const [node, perBackend] of perNode) {
    const live = perBackend.get(backend);
    if (live) result[node] = live;
  }
  return result;
}

function drainOf(drain: DrainRecord | undefined): Pick<BackendRow, 'drain'> {
  if (!drain) return {};
  return {
    drain: {
      deadlineAt: new Date(drain.deadlineAt).toISOString(),
      closeRate: drain.closeRate,
      closeCode: drain.closeCode,
    },
  };
}
