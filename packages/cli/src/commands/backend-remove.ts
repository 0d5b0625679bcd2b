import type { Command } from 'commander';
import { checkBackendId, removeBackend } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { addDrainOptions, drainTerms, type DrainFlags } from './drain-flags.js';
import { startDrain, waitDrained, type DrainTerms } from './drain-operations.js';
import { checked, operation } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `backend remove` once checked. */
export interface BackendRemoveArgs {
  readonly id: string;
  /** Remove even with live connections: they stay open until they end. */
  readonly force: boolean;
  /** Drain on these terms first and wait until it is over (`--drain`). */
  readonly drain?: DrainTerms;
}

type RemoveFlags = StateOptions & DrainFlags & { force?: boolean; drain?: boolean };

/** `mooring backend remove ID [--force] [--drain …]`. */
export function registerBackendRemove(backend: Command, host: CommandHost): void {
  addDrainOptions(addStateOptions(backend.command('remove').argument('<ID>')))
    .description('remove a backend from the registry (refused while it has live connections)')
    .option('--force', 'remove even with live connections (they stay open until they end)')
    .option('--drain', 'drain first, wait until no connection is left, then remove')
    .action((id: string, options: RemoveFlags) => {
      // The drain flags have defaults: only --drain makes them matter, and only then are they checked.
      const args: BackendRemoveArgs = {
        id: checked(() => checkBackendId(id)),
        force: options.force === true,
        ...(options.drain ? { drain: drainTerms(options) } : {}),
      };
      return host.run(options, (deps) => runBackendRemove(args, deps));
    });
}

/** Removes the backend from the registry; refused (exit 1) while it has live connections, unless forced. */
export function runBackendRemove({ id, force, drain }: BackendRemoveArgs, deps: CommandDeps): Promise<number> {
  const { store, out, err } = deps;
  return guarded(err, async () => {
    if (drain) {
      const { deadlineAt } = await startDrain(deps, id, drain);
      const forced = await waitDrained(deps, id, { deadlineAt, closeRate: drain.closeRate }, (line) =>
        out(`${line}\n`),
      );
      if (forced > 0) out(`${forced} connection(s) closed by force at the deadline\n`);
    }
    const hints = { MOORING_ERR_BACKEND_HAS_CONNECTIONS: ': drain it first (--drain), or --force' };
    const { live } = await operation(() => removeBackend(store, id, { force }), hints);
    out(`removed backend ${id}${live > 0 ? ` (${live} live connection(s) left to end on their own)` : ''}\n`);
  });
}
