import type { Command } from 'commander';
import { checkBackendId } from '@mooring/balancer';
import { CliError, exitCodes, guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { addDrainOptions, drainTerms, type DrainFlags } from './drain-flags.js';
import { startDrain, waitDrained, type DrainTerms } from './drain-operations.js';
import { checked } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `backend drain` once checked. */
export interface BackendDrainArgs {
  readonly id: string;
  readonly terms: DrainTerms;
  /** Wait until no connection is left (exit 0), or the deadline forced some closed (exit 3). */
  readonly wait: boolean;
}

/** `mooring backend drain ID [--deadline D] [--close-rate N] [--close-code C] [--wait]`. */
export function registerBackendDrain(backend: Command, host: CommandHost): void {
  addDrainOptions(addStateOptions(backend.command('drain').argument('<ID>')))
    .description(
      'stop new sessions to a backend on every node; close the remaining ones gently, paced, at the deadline',
    )
    .option('--wait', 'wait until no connection is left; exit 3 if some had to be closed at the deadline')
    .action((id: string, options: StateOptions & DrainFlags & { wait?: boolean }) => {
      const args: BackendDrainArgs = {
        id: checked(() => checkBackendId(id)),
        terms: drainTerms(options),
        wait: options.wait === true,
      };
      return host.run(options, (deps) => runBackendDrain(args, deps));
    });
}

/** Starts (or re-terms) the drain on every node; with `wait`, follows it to the end. */
export function runBackendDrain({ id, terms, wait }: BackendDrainArgs, deps: CommandDeps): Promise<number> {
  const { out, err } = deps;
  return guarded(err, async () => {
    const { deadlineAt } = await startDrain(deps, id, terms);
    const closeFrom = new Date(deadlineAt).toISOString();
    out(`draining ${id}: no new sessions; remaining ones closed from ${closeFrom} at ${terms.closeRate}/s\n`);
    if (!wait) return;
    const forced = await waitDrained(deps, id, { deadlineAt, closeRate: terms.closeRate }, (line) => out(`${line}\n`));
    if (forced > 0)
      throw new CliError(`${id} drained at the deadline: ${forced} connection(s) closed by force`, exitCodes.forced);
    out(`${id} drained: no live connections\n`);
  });
}
