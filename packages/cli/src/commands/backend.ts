import type { Command } from 'commander';
import { registerBackendAdd } from './backend-add.js';
import { registerBackendAnnounce } from './backend-announce.js';
import { registerBackendDrain } from './backend-drain.js';
import { registerBackendList } from './backend-list.js';
import { registerBackendRemove } from './backend-remove.js';
import { registerBackendUndrain } from './backend-undrain.js';
import type { CommandHost } from './command-host.js';

/** `mooring backend add|announce|drain|undrain|remove|list`: the registry, through Redis. */
export function registerBackendCommands(program: Command, host: CommandHost): void {
  const backend = program.command('backend').description('manage the shared backend registry (in Redis)');
  registerBackendAdd(backend, host);
  registerBackendAnnounce(backend, host);
  registerBackendDrain(backend, host);
  registerBackendUndrain(backend, host);
  registerBackendRemove(backend, host);
  registerBackendList(backend, host);
}
