/** An invalid configuration; `mooring start` prints the message on one line and exits 2. */
export class ConfigError extends Error {
  readonly code = 'MOORING_ERR_CONFIG_INVALID';

  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
