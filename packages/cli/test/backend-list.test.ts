import { describe, expect, it } from 'vitest';
import { StateError } from '@mooring/balancer';
import { runBackendList } from '../src/commands/backend-list.js';
import { Harness, storeWith } from './support/harness.js';

/** b1 healthy with sessions on two nodes, b2 unhealthy and draining, b3 never checked. */
async function cluster(): Promise<Harness> {
  const h = new Harness();
  await h.backends('b1', { id: 'b2', weight: 2 }, 'b3');
  const at = h.clock.now();
  await h.store.writeHealth(
    new Map([
      ['b1', { healthy: true, since: at, checkedBy: 'a', streak: 3 }],
      ['b2', { healthy: false, since: at, checkedBy: 'a', streak: 1 }],
    ]),
  );
  await h.store.drainBackend('b2', { startedAt: at, deadlineAt: at + 60_000, closeRate: 50, closeCode: 1001 });
  await h.node('a');
  await h.node('b');
  await h.open('a', 'b1', 2);
  await h.open('a', 'b2', 1);
  await h.open('b', 'b1', 1);
  return h;
}

describe('backend list', () => {
  it('prints a table: state with the drain deadline, health, live counts cluster-wide and per node', async () => {
    const h = await cluster();
    expect(await runBackendList({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe(
      [
        'ID  URL                    WEIGHT  STATE                                         HEALTH     LIVE  PER NODE',
        'b1  http://127.0.0.1:3001  1       active                                        healthy    3     a=2 b=1',
        'b2  http://127.0.0.1:3002  2       draining (deadline 2026-01-01T12:01:00.000Z)  unhealthy  1     a=1',
        'b3  http://127.0.0.1:3003  1       active                                        unknown    0     -',
        '',
      ].join('\n'),
    );
    expect(h.stderr).toBe('');
  });

  it('--json prints the stable shape, indented by two spaces', async () => {
    const h = await cluster();
    expect(await runBackendList({ json: true }, h.deps)).toBe(0);
    const b1 = { id: 'b1', url: 'http://127.0.0.1:3001', weight: 1, state: 'active', health: 'healthy', live: 3 };
    expect(JSON.parse(h.stdout)).toEqual({
      backends: [
        { ...b1, liveByNode: { a: 2, b: 1 } },
        {
          ...{ id: 'b2', url: 'http://127.0.0.1:3002', weight: 2, state: 'draining', health: 'unhealthy', live: 1 },
          liveByNode: { a: 1 },
          drain: { deadlineAt: '2026-01-01T12:01:00.000Z', closeRate: 50, closeCode: 1001 },
        },
        {
          id: 'b3',
          url: 'http://127.0.0.1:3003',
          weight: 1,
          state: 'active',
          health: 'unknown',
          live: 0,
          liveByNode: {},
        },
      ],
      malformed: [],
    });
    // Byte for byte: key order and layout are part of the contract for scripts.
    expect(
      h.stdout.startsWith('{\n  "backends": [\n    {\n      "id": "b1",\n      "url": "http://127.0.0.1:3001",\n'),
    ).toBe(true);
    expect(h.stdout.endsWith('\n  ],\n  "malformed": []\n}\n')).toBe(true);
  });

  it('says so when nothing is registered', async () => {
    const h = new Harness();
    expect(await runBackendList({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe('no backends registered\n');
  });

  it('warns about malformed registry entries on stderr, and lists them in --json', async () => {
    const h = new Harness();
    await h.backends('b1');
    const malformed = [{ id: 'bad', raw: 'ftp://x', reason: 'url: expected an http:// origin' }];
    const store = storeWith(h.store, {
      readRegistry: async () => ({ ...(await h.store.readRegistry()), malformed }),
    });
    expect(await runBackendList({ json: false }, { ...h.deps, store })).toBe(0);
    expect(h.stderr).toBe('mooring: ignoring malformed registry entry bad: url: expected an http:// origin\n');
    expect(await runBackendList({ json: true }, { ...h.deps, store })).toBe(0);
    expect(JSON.parse(h.stdout.slice(h.stdout.indexOf('{'))).malformed).toEqual([
      { id: 'bad', reason: 'url: expected an http:// origin' },
    ]);
  });

  it('exits 1 with one line when the store fails mid-command', async () => {
    const h = new Harness();
    const store = storeWith(h.store, {
      liveCounts: () =>
        Promise.reject(new StateError('MOORING_ERR_STATE_UNAVAILABLE', 'redis did not answer in 2000 ms')),
    });
    expect(await runBackendList({ json: true }, { ...h.deps, store })).toBe(1);
    expect({ out: h.stdout, err: h.stderr }).toEqual({ out: '', err: 'mooring: redis did not answer in 2000 ms\n' });
  });
});
