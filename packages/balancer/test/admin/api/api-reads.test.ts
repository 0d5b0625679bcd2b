import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../../src/state/state-error.js';
import { ApiFixture, storeWith, t0 } from './api-fixture.js';

let f: ApiFixture;
afterEach(() => f?.close());

describe('GET /api/v1/backends', () => {
  it('is the registry as `mooring backend list --json` prints it', async () => {
    f = new ApiFixture();
    await f.backends('b2', 'b1');
    await f.heartbeat('n1');
    await f.open('n1', 'b1', 2);
    await f.start();
    const { status, body } = await f.call('GET', '/api/v1/backends', { auth: false });
    expect(status).toBe(200);
    expect(body).toEqual({
      backends: [
        {
          id: 'b1',
          url: 'http://127.0.0.1:3002',
          weight: 1,
          state: 'active',
          health: 'unknown',
          live: 2,
          liveByNode: { n1: 2 },
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
      ],
      malformed: [],
    });
  });

  it('answers 503 with a code when the store is down', async () => {
    f = new ApiFixture();
    f.store = storeWith(f.memory, {
      readRegistry: () => Promise.reject(new StateError('MOORING_ERR_STATE_UNAVAILABLE', 'redis did not answer')),
    });
    await f.start();
    const { status, body } = await f.call('GET', '/api/v1/backends');
    expect({ status, body }).toEqual({
      status: 503,
      body: { code: 'MOORING_ERR_ADMIN_STATE_UNAVAILABLE', message: 'redis did not answer' },
    });
  });
});

describe('GET /api/v1/connections', () => {
  async function sessions(): Promise<ApiFixture> {
    f = new ApiFixture();
    await f.heartbeat('n1');
    await f.heartbeat('n2');
    for (let i = 0; i < 150; i++) await f.open(i % 2 ? 'n1' : 'n2', i % 3 ? 'b1' : 'b2', 1, 1, t0 - 10_000 + i);
    return f.start();
  }

  it('lists the oldest 100 by default, with their age and the total', async () => {
    await sessions();
    const { status, body } = await f.call('GET', '/api/v1/connections');
    expect(status).toBe(200);
    expect({ total: body.total, limit: body.limit, count: body.connections.length }).toEqual({
      total: 150,
      limit: 100,
      count: 100,
    });
    expect(body.connections[0]).toMatchObject({ node: 'n2', backend: 'b2', startedAt: t0 - 10_000, ageMs: 10_000 });
    const started = body.connections.map((row: { startedAt: number }) => row.startedAt);
    expect(started).toEqual([...started].sort((a, b) => a - b));
  });

  it('filters by backend and takes a limit', async () => {
    await sessions();
    const { body } = await f.call('GET', '/api/v1/connections?backend=b2&limit=3');
    expect({ total: body.total, backends: body.connections.map((row: { backend: string }) => row.backend) }).toEqual({
      total: 50,
      backends: ['b2', 'b2', 'b2'],
    });
  });

  it.each(['0', '10001', 'all', '-1', '2.5', ''])('refuses limit=%j with 400', async (limit) => {
    await sessions();
    const { status, body } = await f.call('GET', `/api/v1/connections?limit=${limit}`);
    expect(status).toBe(400);
    expect(body.code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    expect(body.message).toBe(`limit: expected a whole number from 1 to 10000, got ${JSON.stringify(limit)}`);
  });

  it('refuses a backend id the registry could not hold with 400', async () => {
    await sessions();
    const { status, body } = await f.call('GET', '/api/v1/connections?backend=%3Cscript%3E');
    expect({ status, code: body.code }).toEqual({ status: 400, code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT' });
  });
});
