import type { Command } from 'commander';
import { checkBackendId, undrainBackend } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { checked, operation } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `mooring backend undrain ID`. */
export function registerBackendUndrain(backend: Command, host: CommandHost): void {
  addStateOptions(backend.command('undrain').argument('<ID>'))
    .description('take a backend out of draining: it gets new sessions again')
    .action((id: string, options: StateOptions) => {
      const args = { id: checked(() => checkBackendId(id)) };
      return host.run(options, (deps) => runBackendUndrain(args, deps));
    });
}

/** Makes the backend active again on every node. */
export function runBackendUndrain({ id }: { readonly id: string }, { store, out, err }: CommandDeps): Promise<number> {
  return guarded(err, async () => {
    // One store operation: terms removed, state active and the announcement together.
    await operation(() => undrainBackend(store, id));
    out(`backend ${id} is active again\n`);
  });
}
