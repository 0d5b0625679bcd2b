import type { BackendRow } from '@mooring/balancer';
import { renderTable } from '../output/table.js';

/** The human table of `backend list` and `status`; a LEASE column when some entry is an announcer's. */
export function backendTable(rows: readonly BackendRow[]): string {
  if (rows.length === 0) return 'no backends registered';
  // The LEASE column only when an announcer's entry is there: operator-only tables stay as they were.
  const leased = rows.some((row) => row.lease !== undefined);
  return renderTable(
    ['ID', 'URL', 'WEIGHT', 'STATE', 'HEALTH', 'LIVE', 'PER NODE', ...(leased ? ['LEASE'] : [])],
    rows.map((row) => [
      row.id,
      row.url,
      String(row.weight),
      row.drain ? `draining (deadline ${row.drain.deadlineAt})` : row.state,
      row.health,
      String(row.live),
      Object.entries(row.liveByNode)
        .map(([node, live]) => `${node}=${live}`)
        .join(' ') || '-',
      ...(leased ? [leaseText(row.lease)] : []),
    ]),
  );
}

/** `-` for an operator's entry; the time left of an announcer's lease (`lapsed` once it ran out). */
function leaseText(lease: BackendRow['lease']): string {
  if (!lease) return '-';
  if (lease.remainingMs <= 0) return `lapsed (ttl ${lease.ttlMs / 1000}s)`;
  return `${(lease.remainingMs / 1000).toFixed(1)}s of ${lease.ttlMs / 1000}s`;
}
