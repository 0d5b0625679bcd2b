import type { MooringConfig } from '../config/schema.js';
import { configSchema } from '../config/schema.js';

/**
 * The shape of a validated configuration, read off a fully defaulted one: what a worker checks
 * its `init` message against. Optional keys (no default) are listed with their type.
 */
const reference: Readonly<Record<string, unknown>> = configSchema.parse({ nodeId: 'reference', workers: 1 });
const optionalKeys: Readonly<Record<string, 'string' | 'number' | 'object'>> = {
  redis: 'string',
  listenTls: 'object',
  tlsClientCa: 'string',
  tlsTicketKeyFile: 'string',
  backendCa: 'string',
  cookieSecret: 'string',
  cookieDomain: 'string',
  cookieMaxAge: 'number',
  adminTokenFile: 'string',
  messageRules: 'string',
  adminToken: 'string',
};

/** Why a value is not the configuration `init` must carry; undefined when it is. */
function shapeMismatch(config: Record<string, unknown>): string | undefined {
  for (const key of Object.keys(config)) {
    if (!(key in reference) && !(key in optionalKeys)) return `unknown key ${key}`;
  }
  for (const [key, expected] of Object.entries(reference)) {
    const value = config[key];
    if (Array.isArray(expected) !== Array.isArray(value))
      return `${key} must be ${Array.isArray(expected) ? 'an array' : 'a value'}`;
    if (typeof value !== typeof expected) return `${key} must be a ${typeof expected}`;
  }
  for (const [key, type] of Object.entries(optionalKeys)) {
    if (config[key] !== undefined && typeof config[key] !== type) return `${key} must be a ${type}`;
  }
  return undefined;
}

/**
 * Reads a worker's `init` message: the configuration the primary validated, checked again on
 * arrival for its shape (a worker of another version, or a bug in the primary, must fail
 * loudly here rather than with a TypeError deep in the proxy). Throws an Error saying what is wrong.
 */
export function parseWorkerInit(message: unknown): Readonly<MooringConfig> {
  if (typeof message !== 'object' || message === null || (message as { type?: unknown }).type !== 'init') {
    throw new Error('expected an init message from the primary first');
  }
  const config = (message as { config?: unknown }).config;
  if (typeof config !== 'object' || config === null || Array.isArray(config))
    throw new Error('init message without a configuration');
  const mismatch = shapeMismatch(config as Record<string, unknown>);
  if (mismatch) throw new Error(`init message carries an invalid configuration: ${mismatch}`);
  return Object.freeze(config as MooringConfig);
}
