import type { Command } from 'commander';
import { readBackendRows } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { formatJson } from '../output/json.js';
import { backendTable } from '../views/backend-table.js';
import type { CommandHost } from './command-host.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `mooring backend list [--json]`. */
export function registerBackendList(backend: Command, host: CommandHost): void {
  addStateOptions(backend.command('list'))
    .description('list backends with state, health and live connections (cluster-wide and per node)')
    .option('--json', 'stable JSON for scripts')
    .action((options: StateOptions & { json?: boolean }) =>
      host.run(options, (deps) => runBackendList({ json: options.json === true }, deps)),
    );
}

/** Prints the registry with health and live counts; malformed entries are warnings on stderr (JSON: listed). */
export function runBackendList(
  { json }: { readonly json: boolean },
  { store, out, err }: CommandDeps,
): Promise<number> {
  return guarded(err, async () => {
    const { rows, malformed } = await readBackendRows(store);
    if (json) return void out(formatJson({ backends: rows, malformed }));
    out(`${backendTable(rows)}\n`);
    for (const entry of malformed) err(`mooring: ignoring malformed registry entry ${entry.id}: ${entry.reason}\n`);
  });
}
