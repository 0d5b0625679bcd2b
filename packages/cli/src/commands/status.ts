import type { Command } from 'commander';
import { renderTable, formatAge } from '../output/table.js';
import { readBackendRows } from '../views/backend-rows.js';
import { backendTable } from './backend.js';
import { addStateOptions, printJson, withStore, type StateOptions } from './state-options.js';

/** `mooring status`: nodes, backends and whether any node is degraded. */
export function registerStatusCommand(program: Command): void {
  addStateOptions(program.command('status'))
    .description('nodes (with heartbeat age), backends, health and live connections')
    .option('--json', 'stable JSON for scripts')
    .action((options: StateOptions & { json?: boolean }) =>
      withStore(options, async (store) => {
        const now = Date.now();
        const [nodes, { rows }] = await Promise.all([store.listNodes(), readBackendRows(store)]);
        const nodeRows = nodes
          .map((node) => ({ id: node.id, listen: node.listen, admin: node.admin, pid: node.pid, degraded: node.degraded ?? false, startedAt: node.startedAt, heartbeatAgeMs: now - (node.heartbeatAt ?? now) }))
          .sort((a, b) => (a.id < b.id ? -1 : 1));
        const degraded = nodeRows.some((node) => node.degraded);
        if (options.json) return printJson({ degraded, nodes: nodeRows, backends: rows });
        process.stdout.write(`cluster: ${degraded ? 'degraded' : 'ok'}, ${nodeRows.length} node(s), ${rows.length} backend(s)\n\n`);
        const nodeTable = renderTable(
          ['NODE', 'LISTEN', 'ADMIN', 'PID', 'HEARTBEAT', 'STATE'],
          nodeRows.map((node) => [node.id, node.listen, node.admin, String(node.pid), `${formatAge(node.heartbeatAgeMs)} ago`, node.degraded ? 'degraded' : 'ok']),
        );
        process.stdout.write(`${nodeRows.length > 0 ? nodeTable : 'no nodes running'}\n\n${backendTable(rows)}\n`);
      }),
    );
}
