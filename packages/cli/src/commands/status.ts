import type { Command } from 'commander';
import { readBackendRows, readNodeRows, type NodeRow, type RebalanceRecord } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { formatJson } from '../output/json.js';
import { formatAge, renderTable } from '../output/table.js';
import { backendTable } from '../views/backend-table.js';
import type { CommandHost } from './command-host.js';
import { addStateOptions, type StateOptions } from './state-options.js';
import { runStatusWatch, watchOptions } from './status-watch.js';

/** `mooring status [--json] [--watch [--interval D]]`: nodes, backends and whether any node is degraded. */
export function registerStatusCommand(program: Command, host: CommandHost): void {
  addStateOptions(program.command('status'))
    .description('nodes (with heartbeat age), backends, health and live connections')
    .option('--json', 'stable JSON for scripts (with --watch: one line per refresh)')
    .option('--watch', 'refresh the view in place until Ctrl-C')
    .option('--interval <D>', 'time between refreshes of --watch (default 2s, at least 200ms)')
    .action((options: StateOptions & { json?: boolean; watch?: boolean; interval?: string }) => {
      const json = options.json === true;
      const watch = watchOptions(options);
      return host.run(options, (deps) =>
        watch ? runStatusWatch(watch, deps, (io) => runStatus({ json }, io)) : runStatus({ json }, deps),
      );
    });
}

/** Prints the nodes (with heartbeat age), then the backend table. */
export function runStatus(
  { json }: { readonly json: boolean },
  { store, out, err, now }: CommandDeps,
): Promise<number> {
  return guarded(err, async () => {
    const at = now();
    // The balancer's views, shared with the admin API's status.
    const [nodeRows, { rows }, rebalance] = await Promise.all([
      readNodeRows(store, at),
      readBackendRows(store),
      store.readRebalance(),
    ]);
    const degraded = nodeRows.some((node) => node.degraded);
    // `rebalance` only while one runs (or for an hour after it ended): the shape stays as it was otherwise.
    if (json)
      return void out(formatJson({ degraded, nodes: nodeRows, backends: rows, ...(rebalance && { rebalance }) }));
    out(`cluster: ${degraded ? 'degraded' : 'ok'}, ${nodeRows.length} node(s), ${rows.length} backend(s)\n\n`);
    out(`${nodeRows.length > 0 ? nodeTable(nodeRows) : 'no nodes running'}\n\n`);
    if (rebalance) out(`${rebalanceLine(rebalance, at)}\n\n`);
    out(`${backendTable(rows)}\n`);
  });
}

/** `rebalance: running for 12s, 30 closed, 12 still to move (tolerance 10%, 20/s, min age 30s)`. */
export function rebalanceLine(record: RebalanceRecord, at: number): string {
  const terms = `tolerance ${Math.round(record.tolerance * 1000) / 10}%, ${record.rate}/s, min age ${formatAge(record.minAgeMs)}`;
  const progress = `${record.by === undefined ? '' : `by node ${record.by}, `}${record.closed} closed, ${record.remaining} still to move`;
  if (record.state === 'running')
    return `rebalance: running for ${formatAge(at - record.startedAt)}, ${progress} (${terms})`;
  return `rebalance: ${record.state} ${formatAge(at - record.updatedAt)} ago, ${progress} (${terms})`;
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
