import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { AdminContext } from '../../../src/admin/admin-context.js';
import { dashboardStreams } from '../../../src/admin/dashboard/dashboard-routes.js';
import type { DashboardStatus } from '../../../src/admin/dashboard/dashboard-status.js';
import { MemoryStateStore } from '../../../src/state/memory-state-store.js';
import { openEventStream, type EventStreamClient } from './event-stream-client.js';
import { backend, sessions, startAdmin, stubContext, stubNode, type StubNode } from './stub-context.js';

/**
 * The streams' one timer is a setInterval: faking only setInterval/clearInterval lets a test
 * tick it by hand while sockets, setTimeout and expect.poll run on real time.
 */
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

interface Harness {
  node: StubNode;
  ctx: AdminContext;
  failing: Set<string>;
  url: string;
  clients: EventStreamClient[];
  open(): Promise<EventStreamClient>;
  close(): Promise<void>;
}

async function harness(node = stubNode(), memory = new MemoryStateStore()): Promise<Harness> {
  const { ctx, store } = stubContext(node, memory);
  const admin = await startAdmin(ctx);
  const clients: EventStreamClient[] = [];
  return {
    node,
    ctx,
    failing: store.failing,
    url: admin.url,
    clients,
    async open() {
      const client = await openEventStream(`${admin.url}/api/v1/events`);
      clients.push(client);
      return client;
    },
    close: () => admin.close(),
  };
}

let current: Harness | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

describe('GET /api/v1/events', () => {
  it('opens with retry, the traffic history and a status, then sends new points and the status each second', async () => {
    const node = stubNode({ points: [{ at: 1, live: 0, handshakesPerSecond: 0 }] });
    current = await harness(node);
    const client = await current.open();
    expect(client.response.statusCode).toBe(200);
    expect(client.response.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(client.response.headers['cache-control']).toBe('no-store');
    const first = await client.nextEvent<DashboardStatus>('status', 0);
    expect(client.messages.slice(0, 3).map((message) => message.event ?? `retry ${message.retry}`)).toEqual([
      'retry 3000',
      'history',
      'status',
    ]);
    expect(JSON.parse(client.messages[1]!.data!)).toEqual({ points: [{ at: 1, live: 0, handshakesPerSecond: 0 }] });
    expect(first.backends.map((entry) => entry.id)).toEqual(['b1']);

    node.points = [...node.points, { at: 2, live: 3, handshakesPerSecond: 3 }];
    node.sessions = sessions('b1', 3);
    const from = client.messages.length;
    vi.advanceTimersByTime(1_000);
    const status = await client.nextEvent<DashboardStatus>('status', from);
    expect(client.messages.slice(from).map((message) => message.event)).toEqual(['traffic', 'status']);
    expect(JSON.parse(client.messages[from]!.data!)).toEqual({ at: 2, live: 3, handshakesPerSecond: 3 });
    expect(status.backends[0]).toMatchObject({ id: 'b1', live: 3 });
  });

  it('sends a keep-alive comment every 15 s', async () => {
    current = await harness();
    const client = await current.open();
    await client.nextEvent('status', 0);
    const from = client.messages.length;
    vi.advanceTimersByTime(15_000);
    await client.next((message) => message.comment === 'keep-alive', from);
    expect(client.messages.slice(from).filter((message) => message.comment !== undefined)).toHaveLength(1);
  });

  it('leaves no stream and no timer behind after 50 clients came and went', async () => {
    current = await harness();
    const streams = dashboardStreams(current.ctx);
    const timersBefore = vi.getTimerCount();
    for (let i = 0; i < 50; i++) {
      const client = await current.open();
      await client.nextEvent('status', 0);
      expect(streams.size).toBe(1);
      expect(streams.ticking).toBe(true);
      client.close();
      await expect.poll(() => streams.size, { interval: 5 }).toBe(0);
    }
    expect(streams.ticking).toBe(false);
    expect(vi.getTimerCount()).toBe(timersBefore);
  });

  it('refuses a 33rd stream with 503 MOORING_ERR_ADMIN_TOO_MANY_STREAMS, and takes one again once a stream ends', async () => {
    current = await harness();
    const open = await Promise.all(Array.from({ length: 32 }, () => current!.open()));
    expect(open.map((client) => client.response.statusCode)).toEqual(Array(32).fill(200));
    const refused = await fetch(`${current.url}/api/v1/events`);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await refused.json()).toEqual({
      code: 'MOORING_ERR_ADMIN_TOO_MANY_STREAMS',
      message: 'too many dashboard event streams are open',
    });
    open[0]!.close();
    await expect.poll(() => dashboardStreams(current!.ctx).size).toBe(31);
    const again = await current.open();
    expect(again.response.statusCode).toBe(200);
  });

  it('keeps streaming while the store is down: this node current, the rest its last known, marked stale', async () => {
    const memory = new MemoryStateStore();
    await memory.heartbeat({ id: 'n0', startedAt: 1, pid: 2, listen: 'l0', admin: 'a0' }, 60_000);
    await memory.replaceConnections('n0', sessions('b1', 4, 1, 'n0'));
    const node = stubNode({ backends: [backend('b1'), backend('b2')] });
    current = await harness(node, memory);
    const client = await current.open();
    const fresh = await client.nextEvent<DashboardStatus>('status', 0);
    expect(fresh).toMatchObject({ stale: false, nodes: [{ id: 'n1' }, { id: 'n0' }] });

    for (const method of ['listNodes', 'liveCounts', 'readHealth']) current.failing.add(method);
    node.degraded = true;
    node.sessions = sessions('b2', 2);
    const from = client.messages.length;
    vi.advanceTimersByTime(1_000);
    const degraded = await client.nextEvent<DashboardStatus>('status', from);
    expect(degraded).toMatchObject({ stale: true, node: { id: 'n1', degraded: true, live: 2 } });
    expect(degraded.clusterReadAt).toBe(fresh.clusterReadAt);
    expect(degraded.nodes.map((entry) => entry.id)).toEqual(['n1', 'n0']);
    expect(degraded.backends.map(({ id, live }) => ({ id, live }))).toEqual([
      { id: 'b1', live: 4 },
      { id: 'b2', live: 2 },
    ]);
  });
});
