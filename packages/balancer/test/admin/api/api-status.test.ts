import { afterEach, describe, expect, it } from 'vitest';
import { StateError } from '../../../src/state/state-error.js';
import { ApiFixture, storeWith, t0 } from './api-fixture.js';

let f: ApiFixture;
afterEach(() => f?.close());

async function twoNodes(): Promise<ApiFixture> {
  f = new ApiFixture();
  await f.backends('b1', 'b2');
  await f.heartbeat('n1');
  await f.heartbeat('n2', true);
  await f.open('n1', 'b1', 2, 1);
  await f.open('n1', 'b1', 1, 2);
  await f.open('n2', 'b1', 4);
  await f.memory.writeHealth(new Map([['b1', { healthy: true, since: t0, checkedBy: 'n2', streak: 3 }]]));
  const drain = { startedAt: t0, deadlineAt: t0 + 60_000, closeRate: 10, closeCode: 1001 };
  await f.memory.drainBackend('b1', drain);
  // The node's registry read sees the drain with the state.
  f.node.backends = f.node.backends.map((backend) =>
    backend.id === 'b1' ? { ...backend, state: 'draining' } : backend,
  );
  f.node.drains = new Map([['b1', drain]]);
  f.node.clusterLive = new Map([['b1', 6]]);
  f.at = t0 + 1_500;
  return f.start();
}

const node = {
  id: 'n1',
  startedAt: t0 - 60_000,
  listen: '127.0.0.1:8080',
  admin: '127.0.0.1:9090',
  shuttingDown: false,
  live: 3,
  sessionsOpened: 42,
  workers: [
    { id: 1, pid: 101, state: 'serving', live: 2 },
    { id: 2, pid: null, state: 'retiring', live: 1 },
  ],
};

describe('GET /api/v1/status', () => {
  it('shows this node, the cluster nodes with heartbeat age, and the backends with drain progress', async () => {
    await twoNodes();
    const { status, body } = await f.call('GET', '/api/v1/status', { auth: false });
    expect(status).toBe(200);
    expect(body).toEqual({
      stale: false,
      at: t0 + 1_500,
      node: { ...node, degraded: false },
      cluster: {
        degraded: true,
        nodes: [
          {
            id: 'n1',
            listen: 'n1:8080',
            admin: 'n1:9090',
            pid: 4000,
            degraded: false,
            startedAt: t0,
            heartbeatAgeMs: 1_500,
          },
          {
            id: 'n2',
            listen: 'n2:8080',
            admin: 'n2:9090',
            pid: 4000,
            degraded: true,
            startedAt: t0,
            heartbeatAgeMs: 1_500,
          },
        ],
        backends: [
          {
            id: 'b1',
            url: 'http://127.0.0.1:3001',
            weight: 1,
            state: 'draining',
            health: 'healthy',
            live: 7,
            liveByNode: { n1: 3, n2: 4 },
            drain: {
              startedAt: new Date(t0).toISOString(),
              deadlineAt: new Date(t0 + 60_000).toISOString(),
              closeRate: 10,
              closeCode: 1001,
              remaining: 7,
              untilDeadlineMs: 58_500,
            },
          },
          {
            id: 'b2',
            url: 'http://127.0.0.1:3002',
            weight: 1,
            state: 'active',
            health: 'unknown',
            live: 0,
            liveByNode: {},
          },
        ],
      },
    });
  });

  it("has the last rebalance's progress while it lives, as mooring status --json does", async () => {
    f = new ApiFixture();
    const progress = {
      state: 'running' as const,
      startedAt: t0,
      updatedAt: t0,
      tolerance: 0.1,
      rate: 20,
      minAgeMs: 30_000,
      closed: 3,
      remaining: 39,
      backends: [{ id: 'b1', live: 27, share: 15, low: 14, high: 16, move: 11 }],
    };
    await f.memory.writeRebalance(progress, 60_000);
    await f.start();
    const { body } = await f.call('GET', '/api/v1/status');
    expect(body.cluster.rebalance).toEqual(progress);
  });

  it('lists static backends too: the membership this node routes by, not only the registry', async () => {
    f = new ApiFixture();
    f.node.backends = [{ id: 'static-1', url: 'http://127.0.0.1:4000', weight: 2, state: 'active' }];
    await f.start();
    const { body } = await f.call('GET', '/api/v1/status');
    expect(body.cluster.backends.map((backend: { id: string }) => backend.id)).toEqual(['static-1']);
  });

  it('answers stale from this node alone while degraded, without asking the store', async () => {
    await twoNodes();
    f.node.degraded = true;
    const asked: string[] = [];
    f.store = new Proxy(f.memory, {
      get: (_target, key) => () => {
        asked.push(String(key));
        return new Promise(() => {});
      },
    });
    const { status, body } = await f.call('GET', '/api/v1/status');
    expect(status).toBe(200);
    expect(asked).toEqual([]);
    expect(body.stale).toBe(true);
    expect(body.node).toEqual({ ...node, degraded: true });
    expect(body.cluster.degraded).toBe(true);
    expect(body.cluster.nodes).toEqual([]);
    // The last cluster-wide count it read, and its own sessions per node; health as it routes.
    expect(body.cluster.backends[0]).toMatchObject({ id: 'b1', health: 'healthy', live: 6, liveByNode: { n1: 3 } });
    expect(body.cluster.backends[0].drain).toMatchObject({ remaining: 6, untilDeadlineMs: 58_500 });
    expect(body.cluster.backends[1]).toMatchObject({ id: 'b2', health: 'healthy', live: 0, liveByNode: {} });
  });

  it('answers stale (200, no error) when the store fails before the node has noticed', async () => {
    await twoNodes();
    const down = () => Promise.reject(new StateError('MOORING_ERR_STATE_UNAVAILABLE', 'redis did not answer'));
    f.store = storeWith(f.memory, { liveCounts: down, listNodes: down, readHealth: down });
    const { status, body } = await f.call('GET', '/api/v1/status');
    expect({ status, stale: body.stale, nodes: body.cluster.nodes }).toEqual({ status: 200, stale: true, nodes: [] });
  });

  it('answers stale when the store never answers: the wait is bounded', async () => {
    await twoNodes();
    f.store = storeWith(f.memory, { liveCounts: () => new Promise(() => {}) });
    // The client gives up after 5 s: an answer at all means the status read's own bound (1.5 s) held.
    const { status, body } = await f.call('GET', '/api/v1/status');
    expect({ status, stale: body.stale }).toEqual({ status: 200, stale: true });
  });

  it('answers HEAD with the headers alone', async () => {
    await twoNodes();
    const { status, headers, body } = await f.call('HEAD', '/api/v1/status');
    expect({ status, type: headers['content-type'], body }).toEqual({
      status: 200,
      type: 'application/json',
      body: '',
    });
  });
});
