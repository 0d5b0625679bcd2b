import type { Command } from 'commander';
import { checkBackendId, readConnectionRows, type ConnectionRow } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { formatJson } from '../output/json.js';
import { formatAge, renderTable } from '../output/table.js';
import type { CommandHost } from './command-host.js';
import { checked, operation } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `connections` once checked. */
export interface ConnectionsArgs {
  /** Only sessions on this backend. */
  readonly backend?: string;
  readonly json: boolean;
}

/** `mooring connections [--backend ID] [--json]`: the cluster-wide table of live WebSocket sessions. */
export function registerConnectionsCommand(program: Command, host: CommandHost): void {
  addStateOptions(program.command('connections'))
    .description('live WebSocket sessions across the cluster')
    .option('--backend <ID>', 'only sessions on this backend')
    .option('--json', 'stable JSON for scripts')
    .action((options: StateOptions & { backend?: string; json?: boolean }) => {
      const args: ConnectionsArgs = {
        json: options.json === true,
        ...(options.backend ? { backend: checked(() => checkBackendId(options.backend)) } : {}),
      };
      return host.run(options, (deps) => runConnections(args, deps));
    });
}

/** Prints the live sessions, oldest first, with their age (the admin API's view of them too). */
export function runConnections(
  { backend, json }: ConnectionsArgs,
  { store, out, err, now }: CommandDeps,
): Promise<number> {
  return guarded(err, async () => {
    const at = now();
    const { connections } = await operation(() => readConnectionRows(store, backend ? { backend } : {}, at));
    if (json) return void out(formatJson({ connections }));
    if (connections.length === 0) return void out('no live connections\n');
    out(`${connectionTable(connections)}\n`);
  });
}

function connectionTable(connections: readonly ConnectionRow[]): string {
  const rows = connections.map((record) => [
    record.id,
    record.node,
    String(record.worker),
    record.backend,
    record.client,
    record.route,
    formatAge(record.ageMs),
  ]);
  return renderTable(['SESSION', 'NODE', 'WORKER', 'BACKEND', 'CLIENT', 'ROUTE', 'AGE'], rows);
}
