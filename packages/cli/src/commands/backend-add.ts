import { Option, type Command } from 'commander';
import { addBackend, checkBackend, type Backend } from '@mooring/balancer';
import { guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { checked, operation } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `backend add` once checked: the backend as the registry will hold it (state aside). */
export interface BackendAddArgs {
  readonly backend: Backend;
}

/** `mooring backend add ID URL [--weight N]`. */
export function registerBackendAdd(backend: Command, host: CommandHost): void {
  addStateOptions(backend.command('add').argument('<ID>').argument('<URL>'))
    .description('register a backend (or change its URL and weight); every node uses it within 200 ms')
    .addOption(new Option('--weight <N>', 'relative capacity').default('1'))
    .action((id: string, url: string, options: StateOptions & { weight: string }) => {
      const args = backendAddArgs(id, url, options.weight);
      return host.run(options, (deps) => runBackendAdd(args, deps));
    });
}

/** Checks the backend as the registry would (bad id, URL or weight: exit 2, before Redis). */
export function backendAddArgs(id: string, url: string, weight: string): BackendAddArgs {
  return { backend: checked(() => checkBackend({ id, url, weight: Number(weight) })) };
}

/** Registers the backend, or changes the URL and weight of one already registered (a draining one stays so). */
export function runBackendAdd({ backend }: BackendAddArgs, { store, out, err }: CommandDeps): Promise<number> {
  return guarded(err, async () => {
    const { created, backend: added } = await operation(() => addBackend(store, backend));
    out(`${created ? 'added' : 'updated'} backend ${added.id} ${added.url} (weight ${added.weight})\n`);
  });
}
