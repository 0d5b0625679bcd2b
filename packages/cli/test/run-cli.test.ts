import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryStateStore, StateError } from '@mooring/balancer';
import { Harness, storeWith } from './support/harness.js';

const redis = ['--redis', 'redis://test'];

describe('runCli with injected deps', () => {
  afterEach(() => void vi.unstubAllEnvs());

  it.each([
    [['backend', 'frob'], "mooring: unknown command 'frob'"],
    [['backend', 'add', 'x'], "mooring: missing required argument 'URL'"],
    [['backend', 'list', '--colour', ...redis], "mooring: unknown option '--colour'"],
    [['backend', 'add', 'x', 'http://127.0.0.1:1', '--weight', 'heavy', ...redis], /^mooring: backend "x": weight/],
    [['backend', 'drain', 'x', '--deadline', 'soon', ...redis], /^mooring: --deadline: expected a duration/],
    [
      ['backend', 'list'],
      'mooring: --redis URL (or MOORING_REDIS) is required: operator commands work on the shared state',
    ],
    [
      ['backend', 'list', '--redis', 'localhost:6379'],
      'mooring: --redis: expected a redis:// URL, got "localhost:6379"',
    ],
  ])('%j exits 2 with one line on stderr and nothing opened', async (argv, message) => {
    const h = new Harness();
    vi.stubEnv('MOORING_REDIS', undefined);
    const result = await h.cli(argv);
    expect({ code: result.code, out: result.out }).toEqual({ code: 2, out: '' });
    const [line, ...rest] = result.err.split('\n');
    expect(rest).toEqual(['']);
    if (message instanceof RegExp) expect(line).toMatch(message);
    else expect(line).toBe(message);
    expect(h.opened).toEqual([]);
  });

  it('opens the store named by --redis and --prefix, and closes it when the command is done', async () => {
    const h = new Harness();
    const store = new MemoryStateStore({ shareWith: h.store });
    const close = vi.spyOn(store, 'close');
    h.openStore = async () => store;
    const result = await h.cli([
      'backend',
      'add',
      'b1',
      'http://127.0.0.1:3001',
      '--redis',
      'rediss://r:6380',
      '--prefix',
      'blue',
    ]);
    expect(result).toEqual({ code: 0, out: 'added backend b1 http://127.0.0.1:3001 (weight 1)\n', err: '' });
    expect(h.opened).toEqual([{ url: 'rediss://r:6380', prefix: 'blue' }]);
    expect(close).toHaveBeenCalledOnce();
  });

  it('--prefix defaults to mooring', async () => {
    const h = new Harness();
    vi.stubEnv('MOORING_PREFIX', undefined);
    expect((await h.cli(['status', ...redis])).code).toBe(0);
    expect(h.opened).toEqual([{ url: 'redis://test', prefix: 'mooring' }]);
  });

  it('exits 1 with one line when the store cannot be opened', async () => {
    const h = new Harness();
    h.openStore = () =>
      Promise.reject(new StateError('MOORING_ERR_STATE_CONNECT', 'cannot connect to Redis at redis://test'));
    expect(await h.cli(['backend', 'list', ...redis])).toEqual({
      code: 1,
      out: '',
      err: 'mooring: cannot connect to Redis at redis://test\n',
    });
  });

  it('exits 1 and still closes the store when it fails mid-command', async () => {
    const h = new Harness();
    const store = new MemoryStateStore({ shareWith: h.store });
    const close = vi.spyOn(store, 'close');
    h.openStore = async () =>
      storeWith(store, { readRegistry: () => Promise.reject(new StateError('MOORING_ERR_STATE_UNAVAILABLE')) });
    const result = await h.cli(['backend', 'add', 'b1', 'http://127.0.0.1:3001', ...redis]);
    expect(result).toEqual({ code: 1, out: '', err: 'mooring: the shared state store did not answer\n' });
    expect(close).toHaveBeenCalledOnce();
  });

  it('passes the exit code of the command through: 1 for an unknown backend, 3 for a forced drain', async () => {
    const h = new Harness();
    expect((await h.cli(['backend', 'undrain', 'nope', ...redis])).code).toBe(1);
    await h.backends('b1');
    await h.node('node-a');
    await h.open('node-a', 'b1', 1);
    const ids = (await h.store.listConnections()).map((record) => record.id);
    h.clock.at(h.clock.now() + 600, () => h.close('node-a', ids));
    const drained = await h.cli(['backend', 'drain', 'b1', '--deadline', '500ms', '--wait', ...redis]);
    expect(drained.code).toBe(3);
    expect(drained.err).toBe('mooring: b1 drained at the deadline: 1 connection(s) closed by force\n');
  });

  it('prints help on the out writer with exit 0', async () => {
    const h = new Harness();
    const result = await h.cli(['backend', 'drain', '--help']);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    expect(result.out).toContain('Usage: mooring backend drain [options] <ID>');
    for (const flag of [
      '--deadline <DURATION>',
      '--close-rate <N>',
      '--close-code <CODE>',
      '--wait',
      '--redis <URL>',
    ]) {
      expect(result.out).toContain(flag);
    }
    // The exit code --wait documents is the one it returns (README "Drain and rollout").
    expect(result.out.replace(/\s+/g, ' ')).toContain('exit 3 if some had to be closed at the deadline');
  });

  it('--version prints the package version and exits 0', async () => {
    const h = new Harness();
    const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(await h.cli(['--version'])).toEqual({ code: 0, out: `${version}\n`, err: '' });
  });

  it('prints the same --json through commander as the command run directly', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    const result = await h.cli(['backend', 'list', '--json', ...redis]);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).backends.map((row: { id: string }) => row.id)).toEqual(['b1', 'b2']);
    expect(result.out).toBe(`${JSON.stringify(JSON.parse(result.out), null, 2)}\n`);
  });
});
