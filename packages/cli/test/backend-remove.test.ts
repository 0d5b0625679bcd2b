import { describe, expect, it } from 'vitest';
import { runBackendRemove } from '../src/commands/backend-remove.js';
import { Harness } from './support/harness.js';

const registered = async (h: Harness): Promise<string[]> => (await h.store.readRegistry()).backends.map((b) => b.id);

describe('backend remove', () => {
  it('removes a backend with no live connection', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    expect(await runBackendRemove({ id: 'b1', force: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe('removed backend b1\n');
    expect(await registered(h)).toEqual(['b2']);
  });

  it('refuses with exit 1 while the backend has live connections, and leaves it registered', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    await h.node('node-b');
    await h.open('node-a', 'b1', 1);
    await h.open('node-b', 'b1', 1);
    expect(await runBackendRemove({ id: 'b1', force: false }, h.deps)).toBe(1);
    expect(h.stderr).toBe('mooring: backend b1 has 2 live connection(s): drain it first (--drain), or --force\n');
    expect(h.stdout).toBe('');
    expect(await registered(h)).toEqual(['b1']);
  });

  it('--force removes it anyway and says how many connections are left to end', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    await h.open('node-a', 'b1', 2);
    expect(await runBackendRemove({ id: 'b1', force: true }, h.deps)).toBe(0);
    expect(h.stdout).toBe('removed backend b1 (2 live connection(s) left to end on their own)\n');
    expect(await registered(h)).toEqual([]);
  });

  it('refuses an unknown backend with exit 1', async () => {
    const h = new Harness();
    expect(await runBackendRemove({ id: 'nope', force: true }, h.deps)).toBe(1);
    expect(h.stderr).toBe('mooring: unknown backend "nope"\n');
  });

  it('--drain drains, waits for the last session, then removes', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const start = h.clock.now();
    const ids = await h.open('node-a', 'b1', 2);
    let stateWhileWaiting: string | undefined;
    h.clock.at(start + 400, async () => {
      stateWhileWaiting = (await h.store.readRegistry()).backends[0]?.state;
      await h.close('node-a', ids);
    });
    const drain = { deadlineMs: 10_000, closeRate: 100, closeCode: 1001 };
    expect(await runBackendRemove({ id: 'b1', force: false, drain }, h.deps)).toBe(0);
    expect(stateWhileWaiting).toBe('draining');
    expect(h.outLines).toEqual([
      'b1: 2 live connection(s), deadline in 10s',
      'b1: 0 live connection(s), deadline in 10s',
      'removed backend b1',
    ]);
    expect(await registered(h)).toEqual([]);
    expect(await h.store.readDrains()).toEqual(new Map());
  });

  it('--drain reports the sessions closed by force at the deadline, and still exits 0', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const start = h.clock.now();
    const ids = await h.open('node-a', 'b1', 3);
    h.clock.at(start + 1_050, () => h.close('node-a', ids));
    const drain = { deadlineMs: 1_000, closeRate: 100, closeCode: 1012 };
    expect(await runBackendRemove({ id: 'b1', force: false, drain }, h.deps)).toBe(0);
    expect(h.outLines.slice(-2)).toEqual(['3 connection(s) closed by force at the deadline', 'removed backend b1']);
  });

  it('through commander: --drain flags are checked only with --drain', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    const bad = ['--close-code', '2000', '--redis', 'redis://test'];
    expect((await h.cli(['backend', 'remove', 'b1', ...bad])).code).toBe(0);
    const refused = await h.cli(['backend', 'remove', 'b2', '--drain', ...bad]);
    expect(refused.code).toBe(2);
    expect(refused.err).toContain('--close-code: expected');
    expect(await registered(h)).toEqual(['b2']);
  });
});
