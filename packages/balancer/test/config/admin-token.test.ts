import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';
import { envOnlyOptions, startOptions } from '../../src/config/options.js';
import { parseWorkerInit } from '../../src/supervisor/worker-init.js';

const dir = mkdtempSync(join(tmpdir(), 'mooring-token-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const token = '0123456789abcdef0123456789abcdef';
const fileField = 'adminTokenFile (--admin-token-file, MOORING_ADMIN_TOKEN_FILE)';

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('the admin token', () => {
  it('is unset by default: mutations are refused', () => {
    const config = loadConfig({ env: {} });
    expect(config.adminToken).toBeUndefined();
    expect(config.adminTokenFile).toBeUndefined();
  });

  it('comes from MOORING_ADMIN_TOKEN, which is no flag and no unknown variable', () => {
    const warnings: string[] = [];
    const config = loadConfig({ env: { MOORING_ADMIN_TOKEN: token }, onWarning: (line) => warnings.push(line) });
    expect(config.adminToken).toBe(token);
    expect(warnings).toEqual([]);
    expect(startOptions.some((spec) => spec.key === 'adminToken')).toBe(false);
    expect(envOnlyOptions.map((spec) => spec.env)).toEqual(['MOORING_ADMIN_TOKEN']);
    // A flag of that name is not read even when a caller hands one over.
    expect(loadConfig({ env: {}, flags: { adminToken: token } }).adminToken).toBeUndefined();
  });

  it('comes from --admin-token-file, its trailing newline dropped, read again at each load (SIGHUP)', () => {
    const path = file('token', `${token}\n`);
    expect(loadConfig({ flags: { adminTokenFile: path } }).adminToken).toBe(token);
    expect(loadConfig({ env: { MOORING_ADMIN_TOKEN_FILE: path } }).adminToken).toBe(token);
    writeFileSync(path, `${'f'.repeat(40)}\r\n`);
    expect(loadConfig({ flags: { adminTokenFile: path } }).adminToken).toBe('f'.repeat(40));
    expect(loadConfig({ file: file('mooring.json', JSON.stringify({ adminTokenFile: path })) }).adminToken).toBe(
      'f'.repeat(40),
    );
  });

  it.each([
    ['31 characters', token.slice(1)],
    ['31 characters and a newline', `${token.slice(1)}\n`],
    ['a space inside', `${token.slice(0, 16)} ${token.slice(16)}`],
    ['two trailing newlines', `${token}\n\n`],
    ['JSON', JSON.stringify({ token })],
  ])('refuses a token file holding %s, naming the field and never the token', (_case, text) => {
    const path = file('bad-token', text);
    const message = errorOf(() => loadConfig({ flags: { adminTokenFile: path } }));
    expect(message).toBe(
      `${fileField}: ${path}: expected a token of at least 32 characters: letters, digits and -._~+/= (e.g. openssl rand -hex 32)`,
    );
  });

  it('refuses a short MOORING_ADMIN_TOKEN, naming the variable and not quoting it', () => {
    const message = errorOf(() => loadConfig({ env: { MOORING_ADMIN_TOKEN: 'short-secret' } }));
    expect(message).toMatch(/^adminToken \(MOORING_ADMIN_TOKEN\): expected a token of at least 32 characters/);
    expect(message).not.toContain('short-secret');
  });

  it('refuses a missing file, both sources at once, and the token itself in a config file', () => {
    const missing = join(dir, 'missing');
    expect(errorOf(() => loadConfig({ flags: { adminTokenFile: missing } }))).toBe(
      `${fileField}: cannot read ${missing}: ENOENT`,
    );
    const both = { env: { MOORING_ADMIN_TOKEN: token }, flags: { adminTokenFile: file('t2', token) } };
    expect(errorOf(() => loadConfig(both))).toBe(
      `${fileField}: set the admin token with adminTokenFile or with MOORING_ADMIN_TOKEN, not both`,
    );
    const inFile = file('mooring.yaml', `adminToken: ${token}\n`);
    const message = errorOf(() => loadConfig({ file: inFile }));
    expect(message).toBe(
      'adminToken: not accepted in a config file; set MOORING_ADMIN_TOKEN or name a file holding it with adminTokenFile',
    );
  });

  it('suggests MOORING_ADMIN_TOKEN for a mistyped variable', () => {
    const warnings: string[] = [];
    loadConfig({ env: { MOORING_ADMIN_TOKN: token }, onWarning: (line) => warnings.push(line) });
    expect(warnings).toEqual([
      'unknown environment variable MOORING_ADMIN_TOKN ignored; did you mean MOORING_ADMIN_TOKEN?',
    ]);
  });

  it('is a configuration a worker accepts in its init message', () => {
    const config = loadConfig({ flags: { adminTokenFile: file('t3', token), nodeId: 'n1' } });
    expect(parseWorkerInit({ type: 'init', config: JSON.parse(JSON.stringify(config)) }).adminToken).toBe(token);
  });
});
