import type { Command } from 'commander';
import { CliError, guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `mooring backend undrain ID`. */
export function registerBackendUndrain(backend: Command, host: CommandHost): void {
  addStateOptions(backend.command('undrain').argument('<ID>'))
    .description('take a backend out of draining: it gets new sessions again')
    .action((id: string, options: StateOptions) => host.run(options, (deps) => runBackendUndrain({ id }, deps)));
}

/** Makes the backend active again on every node. */
export function runBackendUndrain({ id }: { readonly id: string }, { store, out, err }: CommandDeps): Promise<number> {
  return guarded(err, async () => {
    // One store operation: terms removed, state active and the announcement together.
    if (!(await store.undrainBackend(id))) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
    out(`backend ${id} is active again\n`);
  });
}
