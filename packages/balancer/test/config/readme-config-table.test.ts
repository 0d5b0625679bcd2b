import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configDefaults, helpDefault, readmeDefault, type OptionDefault } from '../../src/config/defaults.js';
import { envOnlyOptions, startOptions } from '../../src/config/options.js';
import { backendSchema, configSchema } from '../../src/config/schema.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');
const schemaSource = readFileSync(new URL('../../src/config/schema.ts', import.meta.url), 'utf8');
const defaults: Record<string, OptionDefault> = configDefaults;
const options = startOptions.map((spec) => [spec.key, spec] as const);
/** Every key: the options with a flag, then those set only by their variable (secrets). */
const allKeys = [...startOptions, ...envOnlyOptions].map((spec) => spec.key);

interface Row {
  readonly key: string;
  readonly flag: string;
  readonly env: string;
  readonly default: string;
}

/** The rows of README's "### Configuration reference" table, in README order. */
function readmeConfigTable(): Row[] {
  const start = readme.indexOf('\n### Configuration reference\n');
  expect(start, 'README has a "### Configuration reference" section').toBeGreaterThan(-1);
  const section = readme.slice(start + 1).split(/\n#{1,3} /)[0]!;
  const rows: Row[] = [];
  for (const line of section.split('\n')) {
    // Cells are split on pipes that are not escaped: `none\|rr` is one cell.
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const key = /^`(\w+)`$/.exec(cells[0] ?? '')?.[1];
    if (!key || cells.length !== 5) continue;
    rows.push({ key, flag: cells[1]!, env: cells[2]!, default: cells[3]! });
  }
  return rows;
}

const rows = readmeConfigTable();
const rowOf = new Map(rows.map((row) => [row.key, row]));

describe('README "Configuration reference"', () => {
  it('has one row per option, in the order of --help, and every schema key is an option', () => {
    expect(rows.map((row) => row.key)).toEqual(allKeys);
    expect(Object.keys(configSchema.shape).sort()).toEqual([...allKeys].sort());
    expect(Object.keys(configDefaults).sort()).toEqual(Object.keys(configSchema.shape).sort());
  });

  it.each(options)('%s: flag, environment and default agree', (key, spec) => {
    const row = rowOf.get(key);
    expect(row, `a README row for ${key}`).toBeDefined();
    expect(row!.flag, 'flag cell').toMatch(new RegExp(`^\`--${spec.flag}[ \`]`));
    const repeatable = spec.kind === 'list' || spec.kind === 'backends';
    expect(row!.flag.includes('(repeatable)'), `(repeatable) in the flag cell: ${repeatable}`).toBe(repeatable);
    expect(row!.env, 'environment cell').toMatch(new RegExp(`^\`${spec.env}\`( |$)`));
    expect(row!.default, 'default cell').toBe(readmeDefault(defaults[key]!));
  });
});

describe('environment-only options', () => {
  it.each(envOnlyOptions.map((spec) => [spec.key, spec] as const))(
    '%s: no flag (README says so), its variable and its default agree',
    (key, spec) => {
      const row = rowOf.get(key);
      expect(row, `a README row for ${key}`).toBeDefined();
      expect(row!.flag, 'flag cell').toBe('— (environment only)');
      expect(row!.env, 'environment cell').toMatch(new RegExp(`^\`${spec.env}\`( |$)`));
      expect(row!.default, 'default cell').toBe(readmeDefault(defaults[key]!));
      expect(startOptions.some((option) => option.key === key || option.env === spec.env)).toBe(false);
      expect(spec.help.endsWith(` ${helpDefault(defaults[key]!)}`)).toBe(true);
    },
  );
});

describe('mooring start --help', () => {
  it.each(options)('%s quotes its default once, from defaults.ts', (key, spec) => {
    expect(spec.help.endsWith(` ${helpDefault(defaults[key]!)}`)).toBe(true);
    // A second "default" would be one written by hand, free to drift.
    expect(spec.help.match(/default/g)).toHaveLength(1);
  });

  it('says defaults the way an operator writes them', () => {
    const help = (key: string) => startOptions.find((spec) => spec.key === key)!.help;
    expect(help('handshakeTimeout')).toBe('WebSocket handshake deadline (default 10s)');
    expect(help('idleTimeout')).toBe('close silent WebSocket tunnels (default 0: off)');
    expect(help('workers')).toBe('worker processes (default: CPU count)');
  });
});

describe('the schema', () => {
  // STYLE.md: JSDoc on every config option. A key is documented when the line above it closes one.
  it.each([
    ...Object.keys(configSchema.shape).map((key) => ['config', key] as const),
    ...Object.keys(backendSchema.shape).map((key) => ['backend', key] as const),
  ])('documents %s option %s with a JSDoc comment', (_where, key) => {
    const lines = schemaSource.split('\n');
    const at = lines.findIndex((line) => new RegExp(`^\\s+${key}: `).test(line));
    expect(at, `${key} is in schema.ts`).toBeGreaterThan(0);
    expect(lines[at - 1]!.trim()).toMatch(/\*\/$/);
  });
});
