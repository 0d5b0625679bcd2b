import { Command, Option } from 'commander';
import { validateBackend } from '@mooring/balancer';
import { CliError } from '../cli-error.js';
import { renderTable } from '../output/table.js';
import { readBackendRows } from '../views/backend-rows.js';
import { addStateOptions, printJson, withStore, type StateOptions } from './state-options.js';

/** `mooring backend add|remove|list`: the registry, through Redis. */
export function registerBackendCommands(program: Command): void {
  const backend = program.command('backend').description('manage the shared backend registry (in Redis)');

  addStateOptions(backend.command('add').argument('<ID>').argument('<URL>'))
    .description('register a backend (or change its URL and weight); every node uses it within 200 ms')
    .addOption(new Option('--weight <N>', 'relative capacity').default('1'))
    .action((id: string, url: string, options: StateOptions & { weight: string }) => addBackend(id, url, options));

  addStateOptions(backend.command('remove').argument('<ID>'))
    .description('remove a backend from the registry')
    .action((id: string, options: StateOptions) =>
      withStore(options, async (store) => {
        if (!(await store.removeBackend(id))) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
        process.stdout.write(`removed backend ${id}\n`);
      }),
    );

  addStateOptions(backend.command('list'))
    .description('list backends with state, health and live connections (cluster-wide and per node)')
    .option('--json', 'stable JSON for scripts')
    .action((options: StateOptions & { json?: boolean }) =>
      withStore(options, async (store) => {
        const { rows, malformed } = await readBackendRows(store);
        if (options.json) return printJson({ backends: rows, malformed });
        process.stdout.write(`${backendTable(rows)}\n`);
        for (const entry of malformed) process.stderr.write(`mooring: ignoring malformed registry entry ${entry.id}: ${entry.reason}\n`);
      }),
    );
}

async function addBackend(id: string, url: string, options: StateOptions & { weight: string }): Promise<void> {
  const weight = Number(options.weight);
  let backend;
  try {
    backend = validateBackend({ id, url, weight, state: 'active' });
  } catch (err) {
    throw new CliError((err as Error).message, 2);
  }
  await withStore(options, async (store) => {
    const existing = (await store.readRegistry()).backends.find((entry) => entry.id === id);
    // Changing a draining backend's URL must not silently undrain it.
    await store.putBackend({ ...backend, state: existing?.state ?? 'active' });
    process.stdout.write(`${existing ? 'updated' : 'added'} backend ${id} ${backend.url} (weight ${backend.weight})\n`);
  });
}

/** The human table of `backend list` and `status`. */
export function backendTable(rows: Awaited<ReturnType<typeof readBackendRows>>['rows']): string {
  if (rows.length === 0) return 'no backends registered';
  return renderTable(
    ['ID', 'URL', 'WEIGHT', 'STATE', 'HEALTH', 'LIVE', 'PER NODE'],
    rows.map((row) => [
      row.id,
      row.url,
      String(row.weight),
      row.state,
      row.health,
      String(row.live),
      Object.entries(row.liveByNode)
        .map(([node, live]) => `${node}=${live}`)
        .join(' ') || '-',
    ]),
  );
}
