import { ConfigError } from './config-error.js';

/** The keys of a config file's `tls:` block, and the flat option each one sets. */
const blockKeys: Readonly<Record<string, string>> = {
  listen: 'listenTls',
  minVersion: 'tlsMinVersion',
  clientCa: 'tlsClientCa',
  clientAuth: 'tlsClientAuth',
  ticketKeyFile: 'tlsTicketKeyFile',
  backendCa: 'backendCa',
};

/**
 * A config file may group TLS settings in one block, as operators write them:
 * `tls: { listen, certificates: [{ cert, key }], minVersion, clientCa, clientAuth, ticketKeyFile }`.
 * This turns the block into the flat options the schema validates (`tlsCert`/`tlsKey` paired by
 * position); a file that sets both forms of one option, or a key the block does not know, is refused.
 */
export function flattenTlsBlock(file: Record<string, unknown>): Record<string, unknown> {
  if (!('tls' in file)) return file;
  const { tls, ...rest } = file;
  if (typeof tls !== 'object' || tls === null || Array.isArray(tls)) throw new ConfigError('tls: expected a mapping');
  const flat: Record<string, unknown> = { ...rest };
  const set = (key: string, value: unknown, from: string): void => {
    if (key in rest) throw new ConfigError(`${from}: set twice (also as ${key})`);
    flat[key] = value;
  };
  for (const [key, value] of Object.entries(tls as Record<string, unknown>)) {
    if (key === 'certificates') {
      const pairs = certificatePairs(value);
      set(
        'tlsCert',
        pairs.map((pair) => pair.cert),
        'tls.certificates',
      );
      set(
        'tlsKey',
        pairs.map((pair) => pair.key),
        'tls.certificates',
      );
    } else if (blockKeys[key] !== undefined) {
      set(blockKeys[key], value, `tls.${key}`);
    } else {
      throw new ConfigError(`unknown option "${key}" in tls`);
    }
  }
  return flat;
}

function certificatePairs(value: unknown): Array<{ cert: unknown; key: unknown }> {
  if (!Array.isArray(value)) throw new ConfigError('tls.certificates: expected a list of { cert, key }');
  return value.map((entry, index) => {
    if (typeof entry !== 'object' || entry === null || !('cert' in entry) || !('key' in entry)) {
      throw new ConfigError(`tls.certificates.${index}: expected { cert: FILE, key: FILE }`);
    }
    const extra = Object.keys(entry).filter((key) => key !== 'cert' && key !== 'key');
    if (extra.length > 0) throw new ConfigError(`unknown option "${extra[0]}" in tls.certificates.${index}`);
    return entry as { cert: unknown; key: unknown };
  });
}
