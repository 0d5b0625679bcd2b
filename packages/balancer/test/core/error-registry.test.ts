import { readFileSync } from 'node:fs';
import { STATUS_CODES } from 'node:http';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { errorCodes, MooringError, type ErrorEntry } from '../../src/core/error-registry.js';
import { StateError } from '../../src/state/state-error.js';

const readme = readFileSync(new URL('../../../../README.md', import.meta.url), 'utf8');

/** What a code surfaces as, in the README's words: `503`, `exit 2`, `close 1009` or `—`. */
function surfaceOf(entry: ErrorEntry): string {
  switch (entry.kind) {
    case 'http':
      return String(entry.status);
    case 'exit':
      return `exit ${entry.exitCode}`;
    case 'close':
      return `close ${entry.closeCode}`;
    case 'internal':
      return '—';
  }
}

/** The rows of README's "### Error codes" table: code → its second column, in README order. */
function readmeErrorTable(): Map<string, string> {
  const start = readme.indexOf('\n### Error codes\n');
  expect(start, 'README has a "### Error codes" section').toBeGreaterThan(-1);
  const section = readme.slice(start + 1).split(/\n#{1,3} /)[0]!;
  const rows = new Map<string, string>();
  for (const line of section.split('\n')) {
    const cells = line
      .split(/(?<!\\)\|/)
      .slice(1, -1)
      .map((cell) => cell.trim());
    const code = /^`(MOORING_ERR_[A-Z_]+)`$/.exec(cells[0] ?? '')?.[1];
    if (!code) continue;
    expect(rows.has(code), `${code} is listed once`).toBe(false);
    rows.set(code, cells[1] ?? '');
  }
  return rows;
}

describe('the error registry', () => {
  it('and README "Error codes" list the same codes, in the same order, with the same status or exit code', () => {
    const documented = readmeErrorTable();
    const registered = new Map(Object.entries(errorCodes).map(([code, entry]) => [code, surfaceOf(entry)]));
    const missing = [...registered.keys()].filter((code) => !documented.has(code));
    const unknown = [...documented.keys()].filter((code) => !registered.has(code));
    expect({ missingFromReadme: missing, notInRegistry: unknown }).toEqual({
      missingFromReadme: [],
      notInRegistry: [],
    });
    expect(Object.fromEntries(documented)).toEqual(Object.fromEntries(registered));
    expect([...documented.keys()]).toEqual([...registered.keys()]);
  });

  it.each(Object.entries(errorCodes))('%s is well formed', (code, entry: ErrorEntry) => {
    expect(code).toMatch(/^MOORING_ERR_[A-Z]+(_[A-Z]+)+$/);
    expect(entry.message, 'one phrase, no final period').toMatch(/^\S.*[^.]$/);
    if (entry.kind === 'http') expect(STATUS_CODES[entry.status], 'a status Node can name').toBeDefined();
    if (entry.kind === 'http') expect(entry.status).toBeGreaterThanOrEqual(400);
    if (entry.kind === 'exit') expect(entry.exitCode).toBeGreaterThan(0);
    if (entry.kind === 'close') expect(entry.closeCode).toBeGreaterThanOrEqual(1000);
  });
});

describe('MooringError and its subclasses', () => {
  it('take the message of the registry unless given one', () => {
    const error = new MooringError('MOORING_ERR_NO_BACKEND');
    expect(error).toMatchObject({ code: 'MOORING_ERR_NO_BACKEND', message: errorCodes.MOORING_ERR_NO_BACKEND.message });
    expect(new MooringError('MOORING_ERR_NO_BACKEND', 'pool empty').message).toBe('pool empty');
  });

  it('keep a cause', () => {
    const cause = new Error('ECONNREFUSED');
    expect(new StateError('MOORING_ERR_STATE_CONNECT', undefined, { cause }).cause).toBe(cause);
  });

  it('StateError defaults to the registry message and is a MooringError', () => {
    const error = new StateError('MOORING_ERR_STATE_CLOSED');
    expect(error).toBeInstanceOf(MooringError);
    expect(error).toMatchObject({ name: 'StateError', message: errorCodes.MOORING_ERR_STATE_CLOSED.message });
  });

  it('ConfigError carries MOORING_ERR_CONFIG_INVALID and its own one-line message', () => {
    const error = new ConfigError('workers: expected a number');
    expect(error).toBeInstanceOf(MooringError);
    expect(error).toMatchObject({
      name: 'ConfigError',
      code: 'MOORING_ERR_CONFIG_INVALID',
      message: 'workers: expected a number',
    });
  });
});
