import type { BackendRow } from '@mooring/balancer';
import { renderTable } from '../output/table.js';

/** The human table of `backend list` and `status`. */
export function backendTable(rows: readonly BackendRow[]): string {
  if (rows.length === 0) return 'no backends registered';
  return renderTable(
    ['ID', 'URL', 'WEIGHT', 'STATE', 'HEALTH', 'LIVE', 'PER NODE'],
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
    ]),
  );
}
