import { MooringError } from '../core/error-registry.js';

/** An invalid configuration; `mooring start` prints the message on one line and exits 2. */
export class ConfigError extends MooringError<'MOORING_ERR_CONFIG_INVALID'> {
  /** `message` names the field and what was expected, so it replaces the registry's generic one. */
  constructor(message: string) {
    super('MOORING_ERR_CONFIG_INVALID', message);
    this.name = 'ConfigError';
  }
}
