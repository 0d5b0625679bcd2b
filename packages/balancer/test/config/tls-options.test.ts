import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'mooring-tls-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function fileConfig(text: string) {
  const path = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return () => loadConfig({ file: path });
}

describe('TLS options', () => {
  it('pairs --tls-cert and --tls-key by position', () => {
    const config = loadConfig({
      flags: { listenTls: '127.0.0.1:8443', tlsCert: ['a.pem', 'b.pem'], tlsKey: ['a.key', 'b.key'] },
    });
    expect(config).toMatchObject({
      listenTls: { host: '127.0.0.1', port: 8443 },
      tlsCert: ['a.pem', 'b.pem'],
      tlsKey: ['a.key', 'b.key'],
    });
    expect(config.tlsMinVersion).toBe('TLSv1.2');
    expect(config.cookieSecure).toBe('auto');
  });

  it('reads the file form: a tls block with certificates as { cert, key } pairs', () => {
    const config = fileConfig(
      'tls:\n  listen: 127.0.0.1:8443\n  minVersion: TLSv1.3\n  certificates:\n    - { cert: a.pem, key: a.key }\n    - { cert: b.pem, key: b.key }\n',
    )();
    expect(config).toMatchObject({ tlsCert: ['a.pem', 'b.pem'], tlsKey: ['a.key', 'b.key'], tlsMinVersion: 'TLSv1.3' });
  });

  it.each([
    [
      'a certificate without its key',
      { listenTls: ':8443', tlsCert: ['a.pem'] },
      /^tlsKey .*one --tls-key per --tls-cert/,
    ],
    ['a TLS listener without certificates', { listenTls: ':8443' }, /^listenTls .*needs at least one --tls-cert/],
    ['client certificates without a CA', { tlsClientAuth: 'require' }, /^tlsClientAuth .*needs --tls-client-ca/],
    ['an unknown minimum version', { tlsMinVersion: 'TLSv1.1' }, /^tlsMinVersion/],
    ['a cookieSecure that is not auto, true or false', { cookieSecure: 'maybe' }, /^cookieSecure/],
  ])('refuses %s, naming the field', (_name, flags, message) => {
    expect(() => loadConfig({ flags: flags as Record<string, string | string[]> })).toThrow(message);
  });

  it.each([
    ['an unknown key in the block', 'tls:\n  certs: []\n', /unknown option "certs" in tls/],
    [
      'a certificate entry without a key',
      'tls:\n  certificates:\n    - { cert: a.pem }\n',
      /tls.certificates.0: expected/,
    ],
    ['both forms of one option', 'tlsMinVersion: TLSv1.3\ntls:\n  minVersion: TLSv1.2\n', /tls.minVersion: set twice/],
    ['a block that is not a mapping', 'tls: yes\n', /tls: expected a mapping/],
  ])('refuses %s in a file', (_name, text, message) => {
    expect(fileConfig(text)).toThrow(message);
  });
});
