import { describe, expect, it } from 'vitest';
import { readBackendRows } from '../../src/operator/backend-rows.js';
import { checkConnectionLimit, readConnectionRows } from '../../src/operator/connection-rows.js';
import { readNodeRows } from '../../src/operator/node-rows.js';
import { failureOf, OperatorFixture } from './operator-fixture.js';

describe('the views', () => {
  it('backend rows: health, live counts cluster-wide and per node, drain terms; sorted by id', async () => {
    const f = new OperatorFixture();
    await f.backends('b2', 'b1');
    await f.store.writeHealth(new Map([['b1', { healthy: false, since: f.at, checkedBy: 'a', streak: 2 }]]));
    await f.store.drainBackend('b1', { startedAt: f.at, deadlineAt: f.at + 1_000, closeRate: 7, closeCode: 1001 });
    await f.node('a');
    await f.node('b');
    await f.open('a', 'b1', 2);
    await f.open('b', 'b1', 1);
    const { rows } = await readBackendRows(f.store);
    expect(rows).toEqual([
      {
        id: 'b1',
        url: 'http://127.0.0.1:3002',
        weight: 1,
        state: 'draining',
        health: 'unhealthy',
        live: 3,
        liveByNode: { a: 2, b: 1 },
        drain: { deadlineAt: new Date(f.at + 1_000).toISOString(), closeRate: 7, closeCode: 1001 },
      },
      {
        id: 'b2',
        url: 'http://127.0.0.1:3001',
        weight: 1,
        state: 'active',
        health: 'unknown',
        live: 0,
        liveByNode: {},
      },
    ]);
  });

  it('node rows: sorted by id, with heartbeat age and the degraded flag', async () => {
    const f = new OperatorFixture();
    await f.node('b', true);
    f.at += 700;
    await f.node('a');
    f.at += 300;
    const rows = await readNodeRows(f.store, f.at);
    expect(rows.map((row) => [row.id, row.heartbeatAgeMs, row.degraded])).toEqual([
      ['a', 300, false],
      ['b', 1_000, true],
    ]);
  });

  it('connection rows: oldest first with their age, filtered by backend, cut at the limit with the total', async () => {
    const f = new OperatorFixture();
    await f.node('a');
    await f.open('a', 'b1', 2, f.at - 5_000);
    await f.open('a', 'b2', 1, f.at - 9_000);
    await f.open('a', 'b1', 1, f.at - 1_000);
    const all = await readConnectionRows(f.store, {}, f.at);
    expect(all.total).toBe(4);
    expect(all.connections.map((row) => row.ageMs)).toEqual([9_000, 5_000, 5_000, 1_000]);
    const b1 = await readConnectionRows(f.store, { backend: 'b1', limit: 2 }, f.at);
    expect({ total: b1.total, ages: b1.connections.map((row) => row.ageMs) }).toEqual({
      total: 3,
      ages: [5_000, 5_000],
    });
    expect(Object.keys(b1.connections[0]!)).toEqual([
      'id',
      'node',
      'worker',
      'backend',
      'client',
      'route',
      'startedAt',
      'ageMs',
    ]);
    expect((await failureOf(() => readConnectionRows(f.store, { backend: 'b 1' }, f.at))).code).toBe(
      'MOORING_ERR_OPERATOR_INVALID_ARGUMENT',
    );
  });

  it.each([
    ['1', 1],
    ['10000', 10_000],
    [250, 250],
  ])('takes the limit %j', (given, limit) => {
    expect(checkConnectionLimit(given)).toBe(limit);
  });

  it.each(['0', '10001', '-1', '1.5', 'ten', '', ' 5', 0, 2.5, null])('refuses the limit %j', async (given) => {
    const error = await failureOf(() => checkConnectionLimit(given));
    expect(error.code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    expect(error.message).toMatch(/^limit: expected a whole number from 1 to 10000, got /);
  });
});
