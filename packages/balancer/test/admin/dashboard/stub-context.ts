import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import type { Server } from 'node:http';
import type { AdminContext, LocalNodeView, TrafficPoint } from '../../../src/admin/admin-context.js';
import { createAdminServer } from '../../../src/admin/admin-server.js';
import type { Backend } from '../../../src/core/backend.js';
import type { ConnectionRecord } from '../../../src/core/session-record.js';
import { MemoryStateStore } from '../../../src/state/memory-state-store.js';
import type { DrainRecord } from '../../../src/state/state-store.js';
import { instrumented, silentLog, type Instrumented } from '../../control-plane/fakes.js';

/** What a test changes of the node it serves the dashboard of. */
export interface StubNode {
  nodeId: string;
  degraded: boolean;
  backends: Backend[];
  drains: Map<string, DrainRecord>;
  unhealthy: string[];
  sessions: ConnectionRecord[];
  points: TrafficPoint[];
}

export const t0 = Date.UTC(2026, 0, 1, 12, 0, 0);

export function backend(id: string, overrides: Partial<Backend> = {}): Backend {
  return { id, url: `http://127.0.0.1:${3000 + id.length}`, weight: 1, state: 'active', ...overrides };
}

/** `count` live sessions of `backendId` on worker `worker` of node `node`. */
export function sessions(backendId: string, count: number, worker = 1, node = 'n1'): ConnectionRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${backendId}-${worker}-${i}`,
    node,
    worker,
    backend: backendId,
    client: '127.0.0.1',
    route: 'balance' as const,
    startedAt: t0,
  }));
}

export function stubNode(overrides: Partial<StubNode> = {}): StubNode {
  return {
    nodeId: 'n1',
    degraded: false,
    backends: [backend('b1')],
    drains: new Map(),
    unhealthy: [],
    sessions: [],
    points: [],
    ...overrides,
  };
}

/** This node's view as the primary would give it, read from `node` at each call. */
export function localView(node: StubNode): LocalNodeView {
  return {
    nodeId: node.nodeId,
    startedAt: t0 - 60_000,
    listen: '127.0.0.1:8080',
    admin: '127.0.0.1:9090',
    shuttingDown: false,
    workers: [
      { id: 1, pid: 101, state: 'serving' },
      { id: 2, pid: 102, state: 'serving' },
    ],
    controlPlane: {
      degraded: node.degraded,
      backends: node.backends,
      drains: node.drains,
      unhealthy: node.unhealthy,
      clusterLive: new Map(),
      sessions: node.sessions,
      sessionsOpened: node.sessions.length,
      reseeds: 0,
    },
  };
}

/** An admin context over `node` and an in-memory store whose methods can be made to fail. */
export function stubContext(
  node: StubNode,
  memory = new MemoryStateStore(),
): { ctx: AdminContext; store: Instrumented } {
  const store = instrumented(memory);
  const ctx: AdminContext = {
    log: silentLog(),
    now: Date.now,
    health: () => ({ listeningWorkers: 2, shuttingDown: false, degraded: node.degraded }),
    metricsText: () => Promise.resolve(''),
    local: () => localView(node),
    store: store.store,
    adminToken: undefined,
    trafficHistory: () => node.points,
  };
  return { ctx, store };
}

/** The admin listener over `ctx` on port 0; `close()` drops its connections. */
export async function startAdmin(ctx: AdminContext): Promise<{ server: Server; url: string; close(): Promise<void> }> {
  const server = createAdminServer(ctx);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
