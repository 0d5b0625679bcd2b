import type { Command } from 'commander';
import { formatAge, renderTable } from '../output/table.js';
import { addStateOptions, printJson, withStore, type StateOptions } from './state-options.js';

/** `mooring connections`: the cluster-wide table of live WebSocket sessions. */
export function registerConnectionsCommand(program: Command): void {
  addStateOptions(program.command('connections'))
    .description('live WebSocket sessions across the cluster')
    .option('--backend <ID>', 'only sessions on this backend')
    .option('--json', 'stable JSON for scripts')
    .action((options: StateOptions & { backend?: string; json?: boolean }) =>
      withStore(options, async (store) => {
        const now = Date.now();
        const connections = (await store.listConnections(options.backend ? { backend: options.backend } : undefined)).sort((a, b) => a.startedAt - b.startedAt);
        if (options.json) return printJson({ connections: connections.map((record) => ({ ...record, ageMs: now - record.startedAt })) });
        if (connections.length === 0) return void process.stdout.write('no live connections\n');
        const rows = connections.map((record) => [record.id, record.node, String(record.worker), record.backend, record.client, record.route, formatAge(now - record.startedAt)]);
        process.stdout.write(`${renderTable(['SESSION', 'NODE', 'WORKER', 'BACKEND', 'CLIENT', 'ROUTE', 'AGE'], rows)}\n`);
      }),
    );
}
