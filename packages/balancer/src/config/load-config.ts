import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from './config-error.js';
import { flattenTlsBlock } from './tls-block.js';
import { closestMatch } from './edit-distance.js';
import { envOnlyOptions, startOptions, type OptionSpec } from './options.js';
import { adminTokenText, configSchema, type MooringConfig } from './schema.js';

/** Where configuration comes from; later sources win (flags > env > file > defaults). */
export interface ConfigSources {
  /** Path of a YAML or JSON file, if any. */
  readonly file?: string;
  /** The process environment; only `MOORING_*` variables are read. */
  readonly env?: NodeJS.ProcessEnv;
  /** Flag values as given on the command line, keyed by config key, still as text. */
  readonly flags?: Readonly<Record<string, string | string[] | undefined>>;
  /**
   * Hears each warning (one line: an unknown `MOORING_*` variable, ignored) once the
   * configuration is valid; an invalid one throws its one line instead. Absent: warnings are dropped.
   * Loading never logs itself, so the caller decides where warnings go (stderr at start, the log on SIGHUP).
   */
  readonly onWarning?: (message: string) => void;
}

const envPrefix = 'MOORING_';
/** Variables that are not options but are still ours, so they get no warning. */
const reservedEnv = new Set(['MOORING_CONFIG', 'MOORING_WORKER_CONFIG']);
/** The demo's own settings (`MOORING_DEMO_PORT`…) reach the node it starts through the environment. */
const reservedEnvPrefix = 'MOORING_DEMO_';
/**
 * Kubernetes injects service-link variables for a Service named `mooring` into every pod
 * (`MOORING_PORT`, `MOORING_PORT_80_TCP_ADDR`, `MOORING_SERVICE_HOST`…); they are not ours.
 */
const kubernetesServiceLink =
  /^MOORING_(SERVICE_(HOST|PORT)(_[A-Z0-9_]+)?|PORT(_\d+_(TCP|UDP|SCTP)(_(ADDR|PORT|PROTO))?)?)$/;

/**
 * Merges file, environment and flags, validates once, and returns a frozen configuration.
 * Throws ConfigError with one line naming the field and what was expected. An unknown `MOORING_*`
 * variable is not an error (other tools set such variables): it is ignored and reported to
 * `sources.onWarning` with the closest known variable.
 */
export function loadConfig(sources: ConfigSources): Readonly<MooringConfig> {
  const env = readEnv(sources.env ?? {});
  const merged: Record<string, unknown> = flattenTlsBlock(refuseEnvOnlyKeys(readConfigFile(sources.file)));
  for (const [key, value] of Object.entries(env.values)) merged[key] = value;
  for (const spec of startOptions) {
    const raw = sources.flags?.[spec.key];
    if (raw !== undefined) merged[spec.key] = convert(spec, raw, `--${spec.flag}`);
  }
  const result = configSchema.safeParse(merged);
  if (!result.success) throw new ConfigError(describeIssue(result.error));
  const config = deepFreeze(withAdminToken(result.data));
  for (const name of env.unknown) sources.onWarning?.(unknownEnvWarning(name));
  return config;
}

/** Variables a person may set, as suggestions for a mistyped one; MOORING_WORKER_CONFIG is internal. */
const suggestedEnv = [
  ...startOptions.map((spec) => spec.env),
  ...envOnlyOptions.map((spec) => spec.env),
  'MOORING_CONFIG',
];

/** `unknown environment variable MOORING_LISTN ignored; did you mean MOORING_LISTEN?` */
function unknownEnvWarning(name: string): string {
  // Compared without the prefix they all share, which would otherwise make every name look close.
  const strip = (variable: string): string => variable.slice(envPrefix.length);
  const closest = closestMatch(strip(name), suggestedEnv.map(strip));
  const hint = closest === undefined ? 'no similar option' : `did you mean ${envPrefix}${closest}?`;
  return `unknown environment variable ${name} ignored; ${hint}`;
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read config file ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  let parsed: unknown;
  try {
    parsed = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    const format = extname(path) === '.json' ? 'JSON' : 'YAML';
    throw new ConfigError(`config file ${path} is not valid ${format}: ${firstLine(err)}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new ConfigError(`config file ${path} must hold a mapping of options`);
  }
  return parsed as Record<string, unknown>;
}

/** The options set by `MOORING_*` variables, and the names of the unknown ones (sorted). */
function readEnv(env: NodeJS.ProcessEnv): { values: Record<string, unknown>; unknown: string[] } {
  const values: Record<string, unknown> = {};
  const unknown: string[] = [];
  const known = new Map(startOptions.map((spec) => [spec.env, spec]));
  const envOnly = new Map(envOnlyOptions.map((spec) => [spec.env, spec.key]));
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith(envPrefix) || value === undefined || isReservedEnv(name)) continue;
    const envOnlyKey = envOnly.get(name);
    if (envOnlyKey !== undefined) {
      values[envOnlyKey] = value;
      continue;
    }
    const spec = known.get(name);
    if (!spec) {
      unknown.push(name);
      continue;
    }
    values[spec.key] = convert(spec, spec.kind === 'list' || spec.kind === 'backends' ? splitList(value) : value, name);
  }
  return { values, unknown: unknown.sort() };
}

/** Ours but not options, or not ours at all though named like ours: silent. */
function isReservedEnv(name: string): boolean {
  return reservedEnv.has(name) || name.startsWith(reservedEnvPrefix) || kubernetesServiceLink.test(name);
}

function convert(spec: OptionSpec, raw: string | string[], source: string): unknown {
  const text = Array.isArray(raw) ? (raw.at(-1) ?? '') : raw;
  switch (spec.kind) {
    case 'text':
      return text;
    case 'integer':
    case 'number': {
      const number = Number(text);
      if (text.trim() === '' || !Number.isFinite(number)) {
        throw new ConfigError(`${spec.key} (${source}): expected a number, got ${JSON.stringify(text)}`);
      }
      return number;
    }
    case 'boolean':
      if (text === 'true' || text === 'false') return text === 'true';
      throw new ConfigError(`${spec.key} (${source}): expected true or false, got ${JSON.stringify(text)}`);
    case 'list':
      return Array.isArray(raw) ? raw : [raw];
    case 'backends':
      return (Array.isArray(raw) ? raw : [raw]).map((entry) => parseBackendFlag(entry, source));
  }
}

/** `ID=URL`, the form of `--backend` and of each entry of MOORING_BACKEND. */
function parseBackendFlag(entry: string, source: string): { id: string; url: string } {
  const at = entry.indexOf('=');
  if (at <= 0) {
    const expected = 'ID=URL such as api-1=http://127.0.0.1:3000';
    throw new ConfigError(`backends (${source}): expected ${expected}, got ${JSON.stringify(entry)}`);
  }
  return { id: entry.slice(0, at), url: entry.slice(at + 1) };
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part !== '');
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid configuration';
  const field = issue.path.map(String).join('.') || 'configuration';
  if (issue.code === 'unrecognized_keys') {
    const where = issue.path.length > 0 ? ` in ${field}` : '';
    return `unknown option ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}${where}`;
  }
  const spec = startOptions.find((candidate) => candidate.key === issue.path[0]);
  const envOnly = envOnlyOptions.find((candidate) => candidate.key === issue.path[0]);
  const hint = spec ? ` (--${spec.flag}, ${spec.env})` : envOnly ? ` (${envOnly.env})` : '';
  return `${field}${hint}: ${issue.message}`;
}

/**
 * A secret set only in the environment is refused in the file too: a config file is often kept in
 * version control, where a token must not be. `adminTokenFile` names a file of its own instead.
 */
function refuseEnvOnlyKeys(file: Record<string, unknown>): Record<string, unknown> {
  const found = envOnlyOptions.find((spec) => Object.hasOwn(file, spec.key));
  if (found) {
    const instead = found.key === 'adminToken' ? ' or name a file holding it with adminTokenFile' : '';
    throw new ConfigError(`${found.key}: not accepted in a config file; set ${found.env}${instead}`);
  }
  return file;
}

/**
 * Reads the admin token file (at start, and again on every SIGHUP, which loads the configuration
 * again) into `adminToken`. Refused: both a file and MOORING_ADMIN_TOKEN, an unreadable file, or
 * contents that are not a token; messages name the file, never its contents.
 */
function withAdminToken(config: MooringConfig): MooringConfig {
  const path = config.adminTokenFile;
  if (path === undefined) return config;
  const field = 'adminTokenFile (--admin-token-file, MOORING_ADMIN_TOKEN_FILE)';
  if (config.adminToken !== undefined) {
    throw new ConfigError(`${field}: set the admin token with adminTokenFile or with MOORING_ADMIN_TOKEN, not both`);
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`${field}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  const token = adminTokenText.safeParse(text);
  if (!token.success) throw new ConfigError(`${field}: ${path}: ${token.error.issues[0]?.message ?? 'not a token'}`);
  return { ...config, adminToken: token.data };
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n')[0] ?? '';
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}
