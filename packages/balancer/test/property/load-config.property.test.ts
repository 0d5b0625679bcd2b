import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig, type ConfigSources } from '../../src/config/load-config.js';
import { startOptions, type OptionSpec } from '../../src/config/options.js';
import { propertySettings } from './fast-check-settings.js';

const dir = mkdtempSync(join(tmpdir(), 'mooring-config-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const durations = ['10s', '500ms', '2m', '1.5h', '0', 250, 0];
/** Values that pass validation, per key: random values alone would almost never load. */
const validExamples: Partial<Record<OptionSpec['key'], readonly unknown[]>> = {
  listen: ['127.0.0.1:0', ':8080', '[::1]:0', 'localhost:80'],
  admin: ['127.0.0.1:9090', ':0'],
  workers: [1, 4],
  scheduling: ['none', 'rr'],
  redis: ['redis://127.0.0.1:6379', 'rediss://cache:6380'],
  prefix: ['mooring', 'a.b-c_d'],
  heartbeatInterval: ['1s', 100],
  healthPath: ['/', '/healthz'],
  healthInterval: durations,
  healthTimeout: ['1s', 20],
  healthRise: [1, 2],
  healthFall: [3],
  nodeId: ['node-1'],
  backends: [
    [{ id: 'a', url: 'http://127.0.0.1:3000' }],
    [
      { id: 'a', url: 'http://127.0.0.1:3000/', weight: 2 },
      { id: 'b', url: 'http://h:1', state: 'draining' },
    ],
  ],
  balance: ['least-connections', 'round-robin'],
  sticky: ['none', 'cookie', 'hash'],
  hashKey: ['ip', 'header:X-User', 'query:room', 'cookie:s'],
  hashBalanceFactor: [0, 1.25],
  cookieName: ['mooring', 'sid'],
  cookiePath: ['/', '/app'],
  cookieDomain: ['example.com'],
  cookieHttpOnly: [true, false],
  cookieSecure: [true, false],
  cookieSameSite: ['Strict', 'Lax', 'None'],
  cookieMaxAge: durations,
  cookieSecret: ['0123456789abcdef'],
  previousCookieSecrets: [['0123456789abcdef'], []],
  trustedProxies: [['10.0.0.0/8', '::1/128'], ['192.0.2.1']],
  handshakeTimeout: durations,
  connectTimeout: durations,
  requestTimeout: durations,
  idleTimeout: durations,
  tcpKeepAlive: durations,
  maxHeaderSize: [1024, 16_384],
  allowedOrigins: [['https://a.example']],
  maxConnectionsPerClient: [0, 10],
  handshakeRatePerClient: [0, 2.5],
  frameTracking: [true, false],
  maxMessageSize: [0, 1024],
  maxMessageRate: [0, 10],
  closeRate: [100, 0.5],
  closeCode: [1000, 1001, 1012, 4000],
  shutdownDeadline: durations,
  logLevel: ['info', 'warn', 'silent'],
};
/** Near misses: values of the right shape that break one rule. */
const nearMisses: readonly unknown[] = [
  '127.0.0.1',
  '[nope]:1',
  ':65536',
  'RR',
  'http://x',
  'has space',
  'healthz',
  '',
  '1 s',
  '10x',
  -1,
  0,
  1,
  0.5,
  257,
  1_048_577,
  999,
  1005,
  5000,
  'header:',
  'uri',
  'lax',
  'short',
  ['short'],
  ['10.0.0.0/33'],
  [''],
  'verbose',
  [
    { id: 'a', url: 'http://h:1' },
    { id: 'a', url: 'http://h:2' },
  ],
  [{ id: '-a', url: 'https://h' }],
  [{ id: 'a', url: 'http://h:1', wieght: 1 }],
];

/** Anything a YAML or JSON file can hold (YAML also has .nan and .inf). */
const anyValueArb = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.double(), fc.string({ unit: 'binary', maxLength: 20 }));

/**
 * A value for one option, typed as in a file: a valid one only when `validOnly` (so that whole
 * configurations load too), else valid, a near miss or anything.
 */
function fileValueArb(spec: OptionSpec, validOnly: boolean): fc.Arbitrary<unknown> {
  const valid = fc.constantFrom(...(validExamples[spec.key] ?? nearMisses));
  if (validOnly) return valid;
  return fc.oneof({ weight: 3, arbitrary: valid }, fc.constantFrom(...nearMisses), anyValueArb);
}

/** The same as text, the way an environment variable or a flag carries it. */
function textValueArb(spec: OptionSpec, validOnly: boolean): fc.Arbitrary<string> {
  // A backend becomes ID=URL, a list becomes comma-separated (MOORING_BACKEND, MOORING_TRUSTED_PROXY).
  const entryText = (entry: unknown): string =>
    typeof entry === 'object' && entry !== null ? Object.values(entry).slice(0, 2).join('=') : String(entry);
  const asText = (value: unknown): string => (Array.isArray(value) ? value.map(entryText).join(',') : String(value));
  const typed = fileValueArb(spec, validOnly).map(asText);
  if (validOnly) return typed;
  return fc.oneof(
    { weight: 3, arbitrary: typed },
    fc.constantFrom('', ' ', 'true', 'false', '1', '1e400', '0x10', 'NaN', '=', 'a=', ',,'),
    fc.string({ unit: 'binary', maxLength: 20 }),
  );
}

/** Options to draw from; with valid values only, those that have examples (a newly added key may not). */
const optionsFor = (validOnly: boolean): OptionSpec[] =>
  startOptions.filter((spec) => !validOnly || validExamples[spec.key] !== undefined);

function fileArb(validOnly: boolean): fc.Arbitrary<Record<string, unknown>> {
  const entryArb = (spec: OptionSpec) => fileValueArb(spec, validOnly).map((value) => [spec.key, value] as const);
  const entriesArb = fc
    .subarray(optionsFor(validOnly), { maxLength: 8 })
    .chain((specs) => fc.tuple(...specs.map(entryArb)));
  // Now and then a key that is no option, or an option in the wrong case.
  const strays = fc.constantFrom('workres', 'Listen', '__proto__', 'constructor', '');
  const strayArb = validOnly ? fc.constant(undefined) : fc.option(strays, { freq: 6, nil: undefined });
  return fc.tuple(entriesArb, strayArb, anyValueArb).map(([entries, stray, value]) => {
    const content: Record<string, unknown> = Object.fromEntries(entries);
    // defineProperty, so that "__proto__" becomes a key of the document rather than its prototype.
    if (stray !== undefined) {
      Object.defineProperty(content, stray, { value, enumerable: true, writable: true, configurable: true });
    }
    return content;
  });
}

/** What a file can contain: a mapping of options mostly, else any document, or text that does not parse. */
function fileContentArb(validOnly: boolean): fc.Arbitrary<{ content: unknown } | { text: string }> {
  const mapping = fileArb(validOnly).map((content) => ({ content }));
  if (validOnly) return mapping;
  return fc.oneof(
    { weight: 6, arbitrary: mapping },
    anyValueArb.map((content) => ({ content })),
    fc.constantFrom('{', 'listen: [', '- a\n- b', ': :', '\t"', '&a [*a]', '').map((text) => ({ text })),
  );
}

function envArb(validOnly: boolean): fc.Arbitrary<NodeJS.ProcessEnv> {
  const optionArb = fc
    .constantFrom(...optionsFor(validOnly))
    .chain((spec) => textValueArb(spec, validOnly).map((value) => [spec.env, value] as const));
  // Ours but no option (reserved, Kubernetes service links, a typo), and not ours at all. Whether an
  // unknown MOORING_* variable is an error or a warning is not this property's business: both pass.
  const others = ['MOORING_CONFIG', 'MOORING_DEMO_PORT', 'MOORING_PORT_80_TCP', 'MOORING_WROKERS', 'MOORING_', 'HOME'];
  const otherArb = fc.tuple(fc.constantFrom(...others), fc.string({ maxLength: 8 }));
  const entryArb = validOnly ? optionArb : fc.oneof({ weight: 6, arbitrary: optionArb }, otherArb);
  return fc.array(entryArb, { maxLength: validOnly ? 3 : 6 }).map((entries) => Object.fromEntries(entries));
}

function flagsArb(validOnly: boolean): fc.Arbitrary<NonNullable<ConfigSources['flags']>> {
  const entryArb = fc.constantFrom(...optionsFor(validOnly)).chain((spec) => {
    const text = textValueArb(spec, validOnly);
    const value = validOnly
      ? fc.oneof(
          text,
          text.map((one) => [one]),
        )
      : fc.oneof(text, fc.array(text, { maxLength: 3 }), fc.constant(undefined));
    return value.map((flag) => [spec.key, flag] as const);
  });
  return fc.array(entryArb, { maxLength: validOnly ? 3 : 6 }).map((entries) => Object.fromEntries(entries));
}

/** Half the runs use valid values only, so that whole configurations load too, not only fail. */
const sourcesArb = fc.boolean().chain((validOnly) =>
  fc.record({
    file: fileContentArb(validOnly),
    extension: fc.constantFrom('.json', '.yaml'),
    env: envArb(validOnly),
    flags: flagsArb(validOnly),
  }),
);

/** A message names what is wrong: a key (maybe with a path), a flag, a variable, or one of the fixed openings. */
const fieldNames = startOptions.flatMap((spec) => [spec.key, `--${spec.flag}`, spec.env]);
const namedField = new RegExp(
  `^(?:(?:${fieldNames.join('|')})(?:[ .:(]|$)|unknown option |config file |unknown environment variable )`,
);

function isDeeplyFrozen(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.isFrozen(value) && Object.values(value).every(isDeeplyFrozen);
}

describe('loadConfig properties', () => {
  it('returns a deeply frozen config or throws a one-line ConfigError naming the field, whatever the sources', () => {
    fc.assert(
      fc.property(sourcesArb, ({ file, extension, env, flags }) => {
        const path = join(dir, `config${extension}`);
        if ('text' in file) writeFileSync(path, file.text);
        else writeFileSync(path, extension === '.json' ? JSON.stringify(file.content) : stringifyYaml(file.content));
        let config: unknown;
        try {
          config = loadConfig({ file: path, env, flags });
        } catch (err) {
          expect(err).toBeInstanceOf(ConfigError);
          const { message, code } = err as ConfigError;
          expect(code).toBe('MOORING_ERR_CONFIG_INVALID');
          expect(message).toMatch(namedField);
          expect(message).not.toContain('\n');
          return;
        }
        expect(typeof config).toBe('object');
        expect(isDeeplyFrozen(config)).toBe(true);
      }),
      propertySettings(300),
    );
  });
});
