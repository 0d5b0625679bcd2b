import type { Command } from 'commander';
import type { NodeInfo } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { formatJson } from '../output/json.js';
import { formatAge, renderTable } from '../output/table.js';
import { readBackendRows } from '../views/backend-rows.js';
import { backendTable } from '../views/backend-table.js';
import type { CommandHost } from './command-host.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** One node as `status` shows it; also the stable `--json` shape. */
interface NodeRow {
  readonly id: string;
  readonly listen: string;
  readonly admin: string;
  readonly pid: number;
  readonly degraded: boolean;
  readonly startedAt: number;
  readonly heartbeatAgeMs: number;
}

/** `mooring status [--json]`: nodes, backends and whether any node is degraded. */
export function registerStatusCommand(program: Command, host: CommandHost): void {
  addStateOptions(program.command('status'))
    .description('nodes (with heartbeat age), backends, health and live connections')
    .option('--json', 'stable JSON for scripts')
    .action((options: StateOptions & { json?: boolean }) =>
      host.run(options, (deps) => runStatus({ json: options.json === true }, deps)),
    );
}

/** Prints the nodes (with heartbeat age), then the backend table. */
export function runStatus(
  { json }: { readonly json: boolean },
  { store, out, err, now }: CommandDeps,
): Promise<number> {
  return guarded(err, async () => {
    const at = now();
    const [nodes, { rows }] = await Promise.all([store.listNodes(), readBackendRows(store)]);
    const nodeRows = nodes.map((node) => nodeRow(node, at)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const degraded = nodeRows.some((node) => node.degraded);
    if (json) return void out(formatJson({ degraded, nodes: nodeRows, backends: rows }));
    out(`cluster: ${degraded ? 'degraded' : 'ok'}, ${nodeRows.length} node(s), ${rows.length} backend(s)\n\n`);
    out(`${nodeRows.length > 0 ? nodeTable(nodeRows) : 'no nodes running'}\n\n${backendTable(rows)}\n`);
  });
}

function nodeRow(node: NodeInfo, at: number): NodeRow {
  const { id, listen, admin, pid, startedAt } = node;
  return {
    id,
    listen,
    admin,
    pid,
    degraded: node.degraded ?? false,
    startedAt,
    heartbeatAgeMs: at - (node.heartbeatAt ?? at),
  };
}

function nodeTable(rows: readonly NodeRow[]): string {
  return renderTable(
    ['NODE', 'LISTEN', 'ADMIN', 'PID', 'HEARTBEAT', 'STATE'],
    rows.map((node) => [
      node.id,
      node.listen,
      node.admin,
      String(node.pid),
      `${formatAge(node.heartbeatAgeMs)} ago`,
      node.degraded ? 'degraded' : 'ok',
    ]),
  );
}
