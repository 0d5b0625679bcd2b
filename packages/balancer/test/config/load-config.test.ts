import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { loadConfig } from '../../src/config/load-config.js';

const dir = mkdtempSync(join(tmpdir(), 'mooring-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const closeCodeField = 'closeCode (--close-code, MOORING_CLOSE_CODE)';

function errorOf(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies defaults and freezes the result', () => {
    const config = loadConfig({ env: {} });
    expect(config.listen).toEqual({ host: '0.0.0.0', port: 8080 });
    expect(config.admin).toEqual({ host: '127.0.0.1', port: 9090 });
    expect(config.handshakeTimeout).toBe(10_000);
    expect(config.idleTimeout).toBe(0);
    expect(config.balance).toBe('least-connections');
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.listen)).toBe(true);
  });

  it('gives flags precedence over env, and env over the file', () => {
    const path = file('order.yaml', 'workers: 1\nidleTimeout: 5s\nhandshakeTimeout: 2s\nlogLevel: warn\n');
    const config = loadConfig({
      file: path,
      env: { MOORING_WORKERS: '3', MOORING_IDLE_TIMEOUT: '7s' },
      flags: { workers: '4' },
    });
    expect(config.workers).toBe(4);
    expect(config.idleTimeout).toBe(7_000);
    expect(config.handshakeTimeout).toBe(2_000);
    expect(config.logLevel).toBe('warn');
  });

  it('reads JSON files and backends from file, flags and env', () => {
    const path = file(
      'backends.json',
      JSON.stringify({ backends: [{ id: 'a', url: 'http://127.0.0.1:3001', weight: 2 }] }),
    );
    expect(loadConfig({ file: path }).backends).toEqual([
      { id: 'a', url: 'http://127.0.0.1:3001', weight: 2, state: 'active' },
    ]);
    const fromFlags = loadConfig({ flags: { backends: ['b=http://127.0.0.1:3002', 'c=http://127.0.0.1:3003/'] } });
    expect(fromFlags.backends.map((backend) => [backend.id, backend.url])).toEqual([
      ['b', 'http://127.0.0.1:3002'],
      ['c', 'http://127.0.0.1:3003'],
    ]);
    const fromEnv = loadConfig({ env: { MOORING_BACKEND: 'd=http://127.0.0.1:3004, e=http://127.0.0.1:3005' } });
    expect(fromEnv.backends.map((backend) => backend.id)).toEqual(['d', 'e']);
  });

  it.each([
    [{ flags: { workers: 'many' } }, 'workers (--workers): expected a number, got "many"'],
    [{ flags: { workers: '0' } }, 'workers (--workers, MOORING_WORKERS):'],
    [{ flags: { listen: 'localhost' } }, 'listen (--listen, MOORING_LISTEN): expected HOST:PORT'],
    [
      { flags: { handshakeTimeout: 'soon' } },
      'handshakeTimeout (--handshake-timeout, MOORING_HANDSHAKE_TIMEOUT): expected a duration',
    ],
    [{ flags: { backends: ['nourl'] } }, 'backends (--backend): expected ID=URL'],
    [
      { flags: { backends: ['a=ftp://x:1'] } },
      'backends.0.url (--backend, MOORING_BACKEND): expected an http:// or https:// origin',
    ],
    [
      { flags: { backends: ['a=http://127.0.0.1:1', 'a=http://127.0.0.1:2'] } },
      'backends.1.id (--backend, MOORING_BACKEND): duplicate backend id "a"',
    ],
    [
      { flags: { trustedProxies: ['10.0.0.0/33'] } },
      'trustedProxies.0 (--trusted-proxy, MOORING_TRUSTED_PROXY): expected a CIDR',
    ],
    [{ flags: { balance: 'random' } }, 'balance (--balance, MOORING_BALANCE):'],
    [{ env: { MOORING_WORKERS: 'two' } }, 'workers (MOORING_WORKERS): expected a number, got "two"'],
    [{ env: { MOORING_CLOSE_CODE: '2000' } }, `${closeCodeField}: expected a close code that may be sent`],
    [{ flags: { closeCode: '2000' } }, `${closeCodeField}: expected a close code that may be sent`],
    [{ flags: { closeCode: '1016' } }, `${closeCodeField}:`],
    [
      { flags: { frameTracking: 'false', maxMessageSize: '10' } },
      'frameTracking (--frame-tracking, MOORING_FRAME_TRACKING): maxMessageSize and maxMessageRate need frameTracking: true',
    ],
    [
      { flags: { cookieSameSite: 'None' } },
      'cookieSameSite (--cookie-same-site, MOORING_COOKIE_SAME_SITE): SameSite=None requires cookieSecure: true',
    ],
    [
      { flags: { hashKey: 'uri' } },
      'hashKey (--hash-key, MOORING_HASH_KEY): expected ip, header:NAME, query:NAME or cookie:NAME',
    ],
    [{ flags: { frameTracking: 'maybe' } }, 'frameTracking (--frame-tracking): expected true or false, got "maybe"'],
    [
      { flags: { workerOldSpaceFloor: '-1' } },
      'workerOldSpaceFloor (--worker-old-space-floor, MOORING_WORKER_OLD_SPACE_FLOOR):',
    ],
    [
      { env: { MOORING_WORKER_OLD_SPACE_FLOOR: '64MiB' } },
      'workerOldSpaceFloor (MOORING_WORKER_OLD_SPACE_FLOOR): expected a number, got "64MiB"',
    ],
  ])('refuses %j with a message naming the field', (sources, expected) => {
    expect(errorOf(() => loadConfig(sources))).toContain(expected);
  });

  it('refuses unknown keys and malformed files', () => {
    expect(errorOf(() => loadConfig({ file: file('typo.yaml', 'listen: 127.0.0.1:1\nworkres: 2\n') }))).toBe(
      'unknown option "workres"',
    );
    expect(
      errorOf(() =>
        loadConfig({ file: file('nested.yaml', 'backends:\n  - { id: a, url: "http://127.0.0.1:1", wieght: 2 }\n') }),
      ),
    ).toBe('unknown option "wieght" in backends.0');
    expect(errorOf(() => loadConfig({ file: file('bad.yaml', 'listen: [\n') }))).toMatch(
      /^config file .*bad\.yaml is not valid YAML/,
    );
    expect(errorOf(() => loadConfig({ file: file('list.yaml', '- a\n- b\n') }))).toMatch(
      /must hold a mapping of options/,
    );
    expect(errorOf(() => loadConfig({ file: join(dir, 'missing.yaml') }))).toMatch(
      /cannot read config file .*missing\.yaml: ENOENT/,
    );
  });

  it('ignores the service-link variables Kubernetes injects for a Service named mooring', () => {
    const env = {
      MOORING_PORT: 'tcp://10.0.0.1:80',
      MOORING_PORT_80_TCP: 'tcp://10.0.0.1:80',
      MOORING_PORT_80_TCP_ADDR: '10.0.0.1',
      MOORING_SERVICE_HOST: '10.0.0.1',
      MOORING_SERVICE_PORT: '80',
      MOORING_SERVICE_PORT_HTTP: '80',
    };
    expect(loadConfig({ env }).listen.port).toBe(8080);
  });

  describe('unknown MOORING_* variables', () => {
    /** Loads with `env` and returns the config and every warning it reported. */
    function loadWarning(env: NodeJS.ProcessEnv, flags?: Record<string, string>) {
      const warnings: string[] = [];
      const config = loadConfig({ env, flags, onWarning: (message) => warnings.push(message) });
      return { config, warnings };
    }

    it.each([
      ['MOORING_LISTN', 'did you mean MOORING_LISTEN?'],
      ['MOORING_WROKERS', 'did you mean MOORING_WORKERS?'],
      ['MOORING_CLOSECODE', 'did you mean MOORING_CLOSE_CODE?'],
      ['MOORING_CONFG', 'did you mean MOORING_CONFIG?'],
      ['MOORING_REPO', 'no similar option'],
      ['MOORING_X', 'no similar option'],
    ])('ignores %s with a warning: %s', (name, hint) => {
      const { config, warnings } = loadWarning({ [name]: '127.0.0.1:1' });
      expect(warnings).toEqual([`unknown environment variable ${name} ignored; ${hint}`]);
      expect(config.listen.port).toBe(8080);
    });

    it('still reads the known ones next to them, one warning per unknown one, in name order', () => {
      const env = { MOORING_REPO: '/x', MOORING_WORKERS: '3', MOORING_LISTN: '127.0.0.1:1' };
      const { config, warnings } = loadWarning(env);
      expect(config.workers).toBe(3);
      expect(warnings).toEqual([
        'unknown environment variable MOORING_LISTN ignored; did you mean MOORING_LISTEN?',
        'unknown environment variable MOORING_REPO ignored; no similar option',
      ]);
    });

    it('keeps reserved, demo and Kubernetes variables silent', () => {
      const env = {
        MOORING_CONFIG: '',
        MOORING_WORKER_CONFIG: '{}',
        MOORING_DEMO_PORT: '3000',
        MOORING_PORT: 'tcp://10.0.0.1:80',
        MOORING_PORT_80_TCP_ADDR: '10.0.0.1',
        MOORING_SERVICE_HOST: '10.0.0.1',
        OTHER_TOOL: 'x',
      };
      expect(loadWarning(env).warnings).toEqual([]);
    });

    it('reports nothing when the configuration is invalid: the error is the one line', () => {
      const warnings: string[] = [];
      const env = { MOORING_REPO: '/x', MOORING_LISTEN: 'nowhere' };
      const load = () => loadConfig({ env, onWarning: (message) => warnings.push(message) });
      expect(errorOf(load)).toContain('listen (--listen, MOORING_LISTEN): expected HOST:PORT');
      expect(warnings).toEqual([]);
    });

    it('loads without a listener, as existing callers do', () => {
      expect(loadConfig({ env: { MOORING_REPO: '/x' } }).listen.port).toBe(8080);
    });
  });

  it('keeps every message on one line', () => {
    const message = errorOf(() => loadConfig({ file: file('bad2.json', '{ "listen": ') }));
    expect(message).not.toContain('\n');
  });
});
