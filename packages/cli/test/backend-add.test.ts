import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.js';
import { backendAddArgs, runBackendAdd } from '../src/commands/backend-add.js';
import { Harness } from './support/harness.js';

describe('backend add', () => {
  it('registers a new backend, active, with the weight given', async () => {
    const h = new Harness();
    expect(await runBackendAdd(backendAddArgs('chat-1', 'http://10.0.0.11:3000', '2'), h.deps)).toBe(0);
    expect(h.stdout).toBe('added backend chat-1 http://10.0.0.11:3000 (weight 2)\n');
    expect(h.stderr).toBe('');
    expect((await h.store.readRegistry()).backends).toEqual([
      { id: 'chat-1', url: 'http://10.0.0.11:3000', weight: 2, state: 'active' },
    ]);
  });

  it('changes the URL and weight of a registered backend, and keeps it draining', async () => {
    const h = new Harness();
    await h.backends('chat-1');
    const drain = { startedAt: h.clock.now(), deadlineAt: h.clock.now() + 60_000, closeRate: 10, closeCode: 1012 };
    await h.store.drainBackend('chat-1', drain);
    expect(await runBackendAdd(backendAddArgs('chat-1', 'http://10.0.0.12:3000', '3'), h.deps)).toBe(0);
    expect(h.stdout).toBe('updated backend chat-1 http://10.0.0.12:3000 (weight 3)\n');
    expect((await h.store.readRegistry()).backends).toEqual([
      { id: 'chat-1', url: 'http://10.0.0.12:3000', weight: 3, state: 'draining' },
    ]);
    expect((await h.store.readDrains()).get('chat-1')).toEqual(drain);
  });

  it.each([
    ['chat-1', 'ftp://10.0.0.11:3000', '1', /expected an http:\/\/ (or https:\/\/ )?origin/],
    ['chat-1', 'http://10.0.0.11:3000/path', '1', /url/],
    ['chat-1', 'http://10.0.0.11:3000', 'heavy', /weight/],
    ['chat-1', 'http://10.0.0.11:3000', '0', /weight/],
    ['', 'http://10.0.0.11:3000', '1', /id/],
  ])('refuses id %j, URL %j, weight %j with exit 2 before the store is touched', (id, url, weight, message) => {
    let error: unknown;
    try {
      backendAddArgs(id, url, weight);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(2);
    expect((error as CliError).message).toMatch(message);
  });

  it('through commander: exit 2 and one line for a bad URL, with no store opened', async () => {
    const h = new Harness();
    const result = await h.cli(['backend', 'add', 'x', 'ftp://127.0.0.1:1', '--redis', 'redis://test']);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toMatch(/^mooring: backend "x": url: expected an http:\/\/ (or https:\/\/ )?origin[^\n]*\n$/);
    expect(h.opened).toEqual([]);
  });

  it('through commander: --weight defaults to 1', async () => {
    const h = new Harness();
    const result = await h.cli(['backend', 'add', 'x', 'http://127.0.0.1:1', '--redis', 'redis://test']);
    expect(result).toEqual({ code: 0, out: 'added backend x http://127.0.0.1:1 (weight 1)\n', err: '' });
  });
});
