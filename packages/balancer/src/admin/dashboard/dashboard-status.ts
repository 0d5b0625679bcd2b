import type { Backend, BackendState } from '../../core/backend.js';
import type { DrainRecord, HealthRecord, NodeInfo } from '../../state/state-store.js';
import type { LocalNodeView } from '../admin-context.js';

/** The cluster as last read from the shared state (see ClusterReader). */
export interface ClusterSnapshot {
  /** Milliseconds since the epoch of the read. */
  readonly readAt: number;
  readonly nodes: readonly NodeInfo[];
  /** node id → backend id → live sessions. */
  readonly perNode: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly health: ReadonlyMap<string, HealthRecord>;
}

/** One worker of this node. */
export interface DashboardWorker {
  readonly id: number;
  readonly pid: number | null;
  readonly state: 'serving' | 'retiring';
  readonly live: number;
}

/** This node, always from its own primary (also while the shared state is down). */
export interface DashboardSelf {
  readonly id: string;
  readonly startedAt: number;
  readonly listen: string;
  readonly admin: string;
  readonly degraded: boolean;
  readonly shuttingDown: boolean;
  readonly live: number;
  readonly workers: readonly DashboardWorker[];
}

/** A node of the cluster. */
export interface DashboardNode {
  readonly id: string;
  /** The node serving this dashboard. */
  readonly self: boolean;
  /** Age of its last heartbeat as last read; null when the shared state never listed it. */
  readonly heartbeatAgeMs: number | null;
  readonly degraded: boolean;
  readonly listen: string;
  readonly admin: string;
}

/** Live sessions of one backend on one node. */
export interface NodeLive {
  readonly node: string;
  readonly live: number;
}

/** A drain in progress, with what the dashboard needs for its progress bar. */
export interface DashboardDrain extends DrainRecord {
  /** Live sessions left, cluster-wide. */
  readonly remaining: number;
  /** Sessions left when the dashboard first saw this drain (never below `remaining`). */
  readonly atStart: number;
}

export interface DashboardBackend {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly state: BackendState;
  /** False while the shared health check holds it down. */
  readonly healthy: boolean;
  /** When its health last changed, if a health check has recorded it. */
  readonly healthSince: number | null;
  /** Cluster-wide: the sum of `perNode`. */
  readonly live: number;
  /** One entry per known node, this node first. */
  readonly perNode: readonly NodeLive[];
  readonly drain: DashboardDrain | null;
}

/** The payload of every `status` event: the whole view, so a client never merges deltas. */
export interface DashboardStatus {
  /** Server clock (ms since the epoch): clients count deadlines down from it. */
  readonly at: number;
  /** The cluster part (other nodes, their counts, health times) is the last known, not fresh. */
  readonly stale: boolean;
  /** When the shared state last answered; null when it never did. */
  readonly clusterReadAt: number | null;
  readonly node: DashboardSelf;
  readonly nodes: readonly DashboardNode[];
  readonly backends: readonly DashboardBackend[];
}

/** What {@link buildDashboardStatus} reads. */
export interface DashboardStatusInput {
  readonly local: LocalNodeView;
  readonly cluster: ClusterSnapshot | undefined;
  readonly stale: boolean;
  readonly now: number;
  /** The count a drain started from (DrainProgress.observe). */
  readonly drainStart: (backend: string, drain: DrainRecord, remaining: number) => number;
}

/**
 * The dashboard's view: this node from its primary, the other nodes and their counts from the
 * last cluster read. This node's own counts always come from its connection table, so they are
 * current even when the shared state is not. Pure: data in, data out.
 */
export function buildDashboardStatus(input: DashboardStatusInput): DashboardStatus {
  const { local, cluster, now } = input;
  const ownLive = countByBackend(local.controlPlane.sessions);
  const nodes = nodeRows(local, cluster, now);
  const nodeIds = nodes.map((node) => node.id);
  const liveOn = (node: string, backend: string) =>
    (node === local.nodeId ? ownLive.get(backend) : cluster?.perNode.get(node)?.get(backend)) ?? 0;
  return {
    at: now,
    stale: input.stale,
    clusterReadAt: cluster?.readAt ?? null,
    node: selfRow(local, ownLive),
    nodes,
    backends: local.controlPlane.backends.map((backend) => {
      const perNode = nodeIds.map((node) => ({ node, live: liveOn(node, backend.id) }));
      return backendRow(input, backend, perNode);
    }),
  };
}

function backendRow(input: DashboardStatusInput, backend: Backend, perNode: NodeLive[]): DashboardBackend {
  const { controlPlane } = input.local;
  const live = perNode.reduce((sum, entry) => sum + entry.live, 0);
  const record = controlPlane.drains.get(backend.id);
  return {
    id: backend.id,
    url: backend.url,
    weight: backend.weight,
    state: backend.state,
    healthy: !controlPlane.unhealthy.includes(backend.id),
    healthSince: input.cluster?.health.get(backend.id)?.since ?? null,
    live,
    perNode,
    drain: record ? { ...record, remaining: live, atStart: input.drainStart(backend.id, record, live) } : null,
  };
}

function selfRow(local: LocalNodeView, ownLive: ReadonlyMap<string, number>): DashboardSelf {
  const perWorker = new Map<number, number>();
  for (const session of local.controlPlane.sessions)
    perWorker.set(session.worker, (perWorker.get(session.worker) ?? 0) + 1);
  return {
    id: local.nodeId,
    startedAt: local.startedAt,
    listen: local.listen,
    admin: local.admin,
    degraded: local.controlPlane.degraded,
    shuttingDown: local.shuttingDown,
    live: [...ownLive.values()].reduce((sum, count) => sum + count, 0),
    workers: local.workers.map((worker) => ({
      id: worker.id,
      pid: worker.pid ?? null,
      state: worker.state,
      live: perWorker.get(worker.id) ?? 0,
    })),
  };
}

/** This node first (from its own view), then the others the shared state listed, by id. */
function nodeRows(local: LocalNodeView, cluster: ClusterSnapshot | undefined, now: number): DashboardNode[] {
  const listed = cluster?.nodes ?? [];
  const ageOf = (info: NodeInfo | undefined) => (info?.heartbeatAt === undefined ? null : now - info.heartbeatAt);
  const self: DashboardNode = {
    id: local.nodeId,
    self: true,
    heartbeatAgeMs: ageOf(listed.find((info) => info.id === local.nodeId)),
    degraded: local.controlPlane.degraded,
    listen: local.listen,
    admin: local.admin,
  };
  const others = listed
    .filter((info) => info.id !== local.nodeId)
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
    .map((info) => ({
      id: info.id,
      self: false,
      heartbeatAgeMs: ageOf(info),
      degraded: info.degraded === true,
      listen: info.listen,
      admin: info.admin,
    }));
  return [self, ...others];
}

function countByBackend(sessions: readonly { readonly backend: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const session of sessions) counts.set(session.backend, (counts.get(session.backend) ?? 0) + 1);
  return counts;
}
