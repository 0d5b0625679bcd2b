import type { StateStore } from '@mooring/balancer';

/** One backend as `backend list` and `status` show it; also the stable `--json` shape. */
export interface BackendRow {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly state: 'active' | 'draining';
  /** The shared active health check's verdict; `unknown` before the first check. */
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  /** Live WebSocket sessions, cluster-wide. */
  readonly live: number;
  /** Live WebSocket sessions per node. */
  readonly liveByNode: Readonly<Record<string, number>>;
  /** Terms of the drain in progress, if the backend is draining. */
  readonly drain?: { readonly deadlineAt: string; readonly closeRate: number; readonly closeCode: number };
}

/** Reads the registry, shared health and live counts into rows, sorted by id. */
export async function readBackendRows(
  store: StateStore,
): Promise<{ rows: BackendRow[]; malformed: { id: string; reason: string }[] }> {
  const [registry, health, counts, drains] = await Promise.all([
    store.readRegistry(),
    store.readHealth(),
    store.liveCounts(),
    store.readDrains(),
  ]);
  const rows = registry.backends
    .map((backend): BackendRow => {
      const record = health.get(backend.id);
      const liveByNode: Record<string, number> = {};
      for (const [node, perBackend] of counts.perNode) {
        const live = perBackend.get(backend.id);
        if (live) liveByNode[node] = live;
      }
      return {
        id: backend.id,
        url: backend.url,
        weight: backend.weight,
        state: backend.state,
        health: record === undefined ? 'unknown' : record.healthy ? 'healthy' : 'unhealthy',
        live: counts.total.get(backend.id) ?? 0,
        liveByNode,
        ...drainOf(drains.get(backend.id)),
      };
    })
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  return { rows, malformed: registry.malformed.map((entry) => ({ id: entry.id, reason: entry.reason })) };
}

function drainOf(
  drain: { deadlineAt: number; closeRate: number; closeCode: number } | undefined,
): Pick<BackendRow, 'drain'> {
  if (!drain) return {};
  return {
    drain: {
      deadlineAt: new Date(drain.deadlineAt).toISOString(),
      closeRate: drain.closeRate,
      closeCode: drain.closeCode,
    },
  };
}
