import { describe, expect, it } from 'vitest';
import { runBackendUndrain } from '../src/commands/backend-undrain.js';
import { Harness } from './support/harness.js';

describe('backend undrain', () => {
  it('makes a draining backend active again and drops its terms', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.store.drainBackend('b1', { startedAt: 1, deadlineAt: 2, closeRate: 10, closeCode: 1012 });
    expect(await runBackendUndrain({ id: 'b1' }, h.deps)).toBe(0);
    expect(h.stdout).toBe('backend b1 is active again\n');
    expect((await h.store.readRegistry()).backends[0]?.state).toBe('active');
    expect(await h.store.readDrains()).toEqual(new Map());
  });

  it('refuses an unknown backend with exit 1', async () => {
    const h = new Harness();
    expect(await runBackendUndrain({ id: 'nope' }, h.deps)).toBe(1);
    expect({ out: h.stdout, err: h.stderr }).toEqual({ out: '', err: 'mooring: unknown backend "nope"\n' });
  });

  it('through commander: exit 2 without the ID', async () => {
    const h = new Harness();
    const result = await h.cli(['backend', 'undrain', '--redis', 'redis://test']);
    expect(result).toEqual({ code: 2, out: '', err: "mooring: missing required argument 'ID'\n" });
  });
});
