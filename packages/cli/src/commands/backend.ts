import { Command, Option } from 'commander';
import { isSendableCloseCode, sendableCloseCodesText, validateBackend } from '@mooring/balancer';
import { CliError } from '../cli-error.js';
import { renderTable } from '../output/table.js';
import { readBackendRows } from '../views/backend-rows.js';
import { liveOn, startDrain, waitDrained } from './drain-operations.js';
import { durationOption, positiveOption } from './duration-option.js';
import { addStateOptions, printJson, withStore, type StateOptions } from './state-options.js';

/** `mooring backend add|remove|list`: the registry, through Redis. */
export function registerBackendCommands(program: Command): void {
  const backend = program.command('backend').description('manage the shared backend registry (in Redis)');

  addStateOptions(backend.command('add').argument('<ID>').argument('<URL>'))
    .description('register a backend (or change its URL and weight); every node uses it within 200 ms')
    .addOption(new Option('--weight <N>', 'relative capacity').default('1'))
    .action((id: string, url: string, options: StateOptions & { weight: string }) => addBackend(id, url, options));

  addDrainOptions(addStateOptions(backend.command('drain').argument('<ID>')))
    .description('stop new sessions to a backend on every node; close the remaining ones gently, paced, at the deadline')
    .option('--wait', 'wait until no connection is left; exit 1 if some had to be closed at the deadline')
    .action((id: string, options: StateOptions & DrainFlags & { wait?: boolean }) => drainBackend(id, options));

  addStateOptions(backend.command('undrain').argument('<ID>'))
    .description('take a backend out of draining: it gets new sessions again')
    .action((id: string, options: StateOptions) =>
      withStore(options, async (store) => {
        // One store operation: terms removed, state active and the announcement together.
        if (!(await store.undrainBackend(id))) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
        process.stdout.write(`backend ${id} is active again\n`);
      }),
    );

  addDrainOptions(addStateOptions(backend.command('remove').argument('<ID>')))
    .description('remove a backend from the registry (refused while it has live connections)')
    .option('--force', 'remove even with live connections (they stay open until they end)')
    .option('--drain', 'drain first, wait until no connection is left, then remove')
    .action((id: string, options: StateOptions & DrainFlags & { force?: boolean; drain?: boolean }) => removeBackend(id, options));

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

/** Flags of a drain, as commander hands them over (text). */
export interface DrainFlags {
  readonly deadline: string;
  readonly closeRate: string;
  readonly closeCode: string;
}

/** Adds `--deadline`, `--close-rate` and `--close-code` to a command. */
export function addDrainOptions(command: Command): Command {
  return command
    .addOption(new Option('--deadline <DURATION>', 'when the remaining connections are closed').default('5m'))
    .addOption(new Option('--close-rate <N>', 'closes per second after the deadline, cluster-wide').default('100'))
    .addOption(new Option('--close-code <CODE>', 'WebSocket close code sent to clients').default('1012'));
}

/** Converts drain flags, refusing bad values with exit 2. */
export function drainTerms(flags: DrainFlags): { deadlineMs: number; closeRate: number; closeCode: number } {
  const closeCode = Number(flags.closeCode);
  // The data plane's own rule: a code that passes here is one every node can put in a close frame.
  if (!isSendableCloseCode(closeCode)) {
    const expected = `a WebSocket close code that may be sent (${sendableCloseCodesText}) such as 1012 or 1001`;
    throw new CliError(`--close-code: expected ${expected}, got ${JSON.stringify(flags.closeCode)}`, 2);
  }
  return { deadlineMs: durationOption('--deadline', flags.deadline), closeRate: positiveOption('--close-rate', flags.closeRate), closeCode };
}

async function drainBackend(id: string, options: StateOptions & DrainFlags & { wait?: boolean }): Promise<void> {
  const terms = drainTerms(options);
  await withStore(options, async (store) => {
    const { deadlineAt } = await startDrain(store, id, terms);
    process.stdout.write(`draining ${id}: no new sessions; remaining ones closed from ${new Date(deadlineAt).toISOString()} at ${terms.closeRate}/s\n`);
    if (!options.wait) return;
    const forced = await waitDrained(store, id, deadlineAt, terms.closeRate, (line) => process.stdout.write(`${line}\n`));
    if (forced > 0) throw new CliError(`${id} drained at the deadline: ${forced} connection(s) closed by force`, 3);
    process.stdout.write(`${id} drained: no live connections\n`);
  });
}

async function removeBackend(id: string, options: StateOptions & DrainFlags & { force?: boolean; drain?: boolean }): Promise<void> {
  const terms = options.drain ? drainTerms(options) : undefined;
  await withStore(options, async (store) => {
    if (terms) {
      const { deadlineAt } = await startDrain(store, id, terms);
      const forced = await waitDrained(store, id, deadlineAt, terms.closeRate, (line) => process.stdout.write(`${line}\n`));
      if (forced > 0) process.stdout.write(`${forced} connection(s) closed by force at the deadline\n`);
    }
    const live = await liveOn(store, id);
    if (live > 0 && !options.force) throw new CliError(`backend ${id} has ${live} live connection(s): drain it first (--drain), or --force`);
    if (!(await store.removeBackend(id))) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
    process.stdout.write(`removed backend ${id}${live > 0 ? ` (${live} live connection(s) left to end on their own)` : ''}\n`);
  });
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
      row.drain ? `draining (deadline ${row.drain.deadlineAt})` : row.state,
      row.health,
      String(row.live),
      Object.entries(row.liveByNode)
        .map(([node, live]) => `${node}=${live}`)
        .join(' ') || '-',
    ]),
  );
}
