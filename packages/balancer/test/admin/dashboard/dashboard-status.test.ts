import { describe, expect, it } from 'vitest';
import { buildDashboardStatus, type ClusterSnapshot } from '../../../src/admin/dashboard/dashboard-status.js';
import { DrainProgress } from '../../../src/admin/dashboard/drain-progress.js';
import type { DrainRecord } from '../../../src/state/state-store.js';
import { backend, localView, sessions, stubNode, t0, type StubNode } from './stub-context.js';

function cluster(overrides: Partial<ClusterSnapshot> = {}): ClusterSnapshot {
  return {
    readAt: t0 - 400,
    nodes: [
      { id: 'n1', startedAt: t0 - 60_000, heartbeatAt: t0 - 200, pid: 1, listen: '127.0.0.1:8080', admin: 'a1' },
      { id: 'n0', startedAt: t0 - 9_000, heartbeatAt: t0 - 700, pid: 2, listen: '10.0.0.2:8080', admin: 'a0' },
      { id: 'n2', startedAt: t0, heartbeatAt: t0 - 100, pid: 3, listen: '10.0.0.3:8080', admin: 'a2', degraded: true },
    ],
    perNode: new Map([
      // The cluster's idea of this node is older than the node's own table: the table wins.
      ['n1', new Map([['b1', 99]])],
      ['n0', new Map([['b1', 4]])],
      ['n2', new Map([['b2', 5]])],
    ]),
    health: new Map([['b2', { healthy: false, since: t0 - 5_000, checkedBy: 'n0', streak: 3 }]]),
    ...overrides,
  };
}

function build(node: StubNode, snapshot: ClusterSnapshot | undefined, progress = new DrainProgress(), now = t0) {
  return buildDashboardStatus({
    local: localView(node),
    cluster: snapshot,
    stale: snapshot === undefined,
    now,
    drainStart: (id, drain, remaining) => progress.observe(id, drain, remaining),
  });
}

const drain = (startedAt: number): DrainRecord => ({
  startedAt,
  deadlineAt: startedAt + 300_000,
  closeRate: 100,
  closeCode: 1012,
});

describe('buildDashboardStatus', () => {
  it('counts this node from its own table and the others from the cluster read, per node and in total', () => {
    const node = stubNode({
      backends: [backend('b1'), backend('b2', { weight: 3 })],
      sessions: [...sessions('b1', 2, 1), ...sessions('b1', 1, 2), ...sessions('b2', 1, 2)],
      unhealthy: ['b2'],
    });
    const status = build(node, cluster());
    expect(status.backends).toEqual([
      expect.objectContaining({
        id: 'b1',
        weight: 1,
        healthy: true,
        healthSince: null,
        live: 7,
        perNode: [
          { node: 'n1', live: 3 },
          { node: 'n0', live: 4 },
          { node: 'n2', live: 0 },
        ],
        drain: null,
      }),
      expect.objectContaining({ id: 'b2', weight: 3, healthy: false, healthSince: t0 - 5_000, live: 6 }),
    ]);
    expect(status.node).toMatchObject({ id: 'n1', live: 4, degraded: false });
    expect(status.node.workers).toEqual([
      { id: 1, pid: 101, state: 'serving', live: 2 },
      { id: 2, pid: 102, state: 'serving', live: 2 },
    ]);
  });

  it('lists this node first, then the others by id, with the age of their last heartbeat', () => {
    const status = build(stubNode(), cluster());
    expect(
      status.nodes.map(({ id, self, heartbeatAgeMs, degraded }) => ({ id, self, heartbeatAgeMs, degraded })),
    ).toEqual([
      { id: 'n1', self: true, heartbeatAgeMs: 200, degraded: false },
      { id: 'n0', self: false, heartbeatAgeMs: 700, degraded: false },
      { id: 'n2', self: false, heartbeatAgeMs: 100, degraded: true },
    ]);
    expect(status).toMatchObject({ at: t0, stale: false, clusterReadAt: t0 - 400 });
  });

  it('without any cluster read (the store down since start) shows this node alone, from its own view', () => {
    const node = stubNode({ degraded: true, sessions: sessions('b1', 3) });
    const status = build(node, undefined);
    expect(status.stale).toBe(true);
    expect(status.clusterReadAt).toBeNull();
    expect(status.nodes).toEqual([
      expect.objectContaining({ id: 'n1', self: true, heartbeatAgeMs: null, degraded: true }),
    ]);
    expect(status.backends[0]).toMatchObject({ id: 'b1', live: 3, perNode: [{ node: 'n1', live: 3 }] });
  });

  it('gives a drain its remaining sessions, cluster-wide, and the count it started from', () => {
    const progress = new DrainProgress();
    const node = stubNode({ drains: new Map([['b1', drain(t0 - 1_000)]]), sessions: sessions('b1', 6) });
    node.backends = [backend('b1', { state: 'draining' })];
    expect(build(node, cluster(), progress).backends[0]?.drain).toEqual({
      ...drain(t0 - 1_000),
      remaining: 10,
      atStart: 10,
    });
    node.sessions = sessions('b1', 2);
    expect(build(node, cluster(), progress).backends[0]?.drain).toMatchObject({ remaining: 6, atStart: 10 });
  });
});

describe('DrainProgress', () => {
  it('keeps the first count, raises it if more turn up, and starts again for a new drain', () => {
    const progress = new DrainProgress();
    expect(progress.observe('b1', drain(t0), 0)).toBe(0);
    // The cluster counts had not caught up at first sight.
    expect(progress.observe('b1', drain(t0), 8)).toBe(8);
    expect(progress.observe('b1', drain(t0), 3)).toBe(8);
    expect(progress.observe('b1', drain(t0 + 1), 3)).toBe(3);
    progress.retain(new Set(['b2']));
    expect(progress.size).toBe(0);
  });
});
