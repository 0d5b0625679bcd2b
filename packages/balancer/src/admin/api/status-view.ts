import type { Backend, BackendState } from '../../core/backend.js';
import type { ConnectionRecord } from '../../core/session-record.js';
import { liveByNode } from '../../operator/backend-rows.js';
import type { NodeRow } from '../../operator/node-rows.js';
import type { DrainRecord, HealthRecord, LiveCounts, RebalanceRecord } from '../../state/state-store.js';
import type { LocalNodeView } from '../admin-context.js';

/** What `GET status` reads from the shared state; absent when it could not (the answer is stale). */
export interface ClusterRead {
  readonly nodes: readonly NodeRow[];
  readonly counts: LiveCounts;
  readonly health: ReadonlyMap<string, HealthRecord>;
  /** The last rebalance's progress (`mooring rebalance`, `--auto-rebalance`), if it has not expired. */
  readonly rebalance?: RebalanceRecord;
}

/** One worker of this node. */
export interface StatusWorker {
  readonly id: number;
  readonly pid: number | null;
  readonly state: 'serving' | 'retiring';
  /** Its live WebSocket sessions. */
  readonly live: number;
}

/** This node, from its own primary: always current, also while the shared state is down. */
export interface StatusNode {
  readonly id: string;
  readonly startedAt: number;
  readonly listen: string;
  readonly admin: string;
  readonly degraded: boolean;
  readonly shuttingDown: boolean;
  readonly live: number;
  readonly sessionsOpened: number;
  readonly workers: readonly StatusWorker[];
}

/** A drain in progress and how far it has come. */
export interface StatusDrain {
  readonly startedAt: string;
  readonly deadlineAt: string;
  readonly closeRate: number;
  readonly closeCode: number;
  /** Live sessions left on the backend, cluster-wide. */
  readonly remaining: number;
  /** Until the paced closes start; 0 once they have. */
  readonly untilDeadlineMs: number;
}

/** One backend this node routes to. */
export interface StatusBackend {
  readonly id: string;
  readonly url: string;
  readonly weight: number;
  readonly state: BackendState;
  readonly health: 'healthy' | 'unhealthy' | 'unknown';
  readonly live: number;
  readonly liveByNode: Readonly<Record<string, number>>;
  readonly drain?: StatusDrain;
}

/** The answer of `GET /api/v1/status`. */
export interface StatusView {
  /** True: the shared state did not answer; the cluster part is this node's last knowledge. */
  readonly stale: boolean;
  /** Milliseconds since the epoch at which the answer was made. */
  readonly at: number;
  readonly node: StatusNode;
  readonly cluster: {
    /** A node (this one included) is degraded. */
    readonly degraded: boolean;
    /** The live nodes with their heartbeat age; empty when stale. */
    readonly nodes: readonly NodeRow[];
    readonly backends: readonly StatusBackend[];
    /** As `mooring status --json` has it: only while a rebalance runs or for an hour after it ended. */
    readonly rebalance?: RebalanceRecord;
  };
}

/**
 * Builds the status from this node's view and, when the store answered, the cluster's nodes,
 * live counts and health. Backends are the membership this node routes by (static ones and the
 * registry, with the drains read along with it), so both forms list the same backends. Pure.
 */
export function statusView(local: LocalNodeView, at: number, cluster: ClusterRead | undefined): StatusView {
  const node = nodeStatus(local);
  const degraded = node.degraded || cluster === undefined || cluster.nodes.some((row) => row.degraded);
  const backends = local.controlPlane.backends.map((backend) => backendStatus(backend, local, at, cluster));
  const rebalance = cluster?.rebalance;
  return {
    stale: cluster === undefined,
    at,
    node,
    cluster: { degraded, nodes: cluster?.nodes ?? [], backends, ...(rebalance && { rebalance }) },
  };
}

function nodeStatus(local: LocalNodeView): StatusNode {
  const { sessions } = local.controlPlane;
  const workers = local.workers.map((worker): StatusWorker => ({
    id: worker.id,
    pid: worker.pid ?? null,
    state: worker.state,
    live: countWhere(sessions, (session) => session.worker === worker.id),
  }));
  return {
    id: local.nodeId,
    startedAt: local.startedAt,
    listen: local.listen,
    admin: local.admin,
    degraded: local.controlPlane.degraded,
    shuttingDown: local.shuttingDown,
    live: sessions.length,
    sessionsOpened: local.controlPlane.sessionsOpened,
    workers,
  };
}

function backendStatus(
  backend: Backend,
  local: LocalNodeView,
  at: number,
  cluster: ClusterRead | undefined,
): StatusBackend {
  const { id } = backend;
  const view = local.controlPlane;
  const own = countWhere(view.sessions, (session) => session.backend === id);
  const live = cluster ? (cluster.counts.total.get(id) ?? 0) : (view.clusterLive.get(id) ?? 0);
  const drain = view.drains.get(id);
  return {
    id,
    url: backend.url,
    weight: backend.weight,
    state: backend.state,
    health: healthOf(id, view.unhealthy, cluster),
    live,
    liveByNode: cluster ? liveByNode(cluster.counts.perNode, id) : own > 0 ? { [local.nodeId]: own } : {},
    // The terms are read with the membership: a draining state always comes with them.
    ...(drain && backend.state === 'draining' ? { drain: drainStatus(drain, live, at) } : {}),
  };
}

function drainStatus(drain: DrainRecord, remaining: number, at: number): StatusDrain {
  return {
    startedAt: new Date(drain.startedAt).toISOString(),
    deadlineAt: new Date(drain.deadlineAt).toISOString(),
    closeRate: drain.closeRate,
    closeCode: drain.closeCode,
    remaining,
    untilDeadlineMs: Math.max(0, drain.deadlineAt - at),
  };
}

/**
 * The shared check's verdict when it could be read (`unknown` before the first check); stale,
 * what this node routes by: held down, or taken as healthy.
 */
function healthOf(id: string, unhealthy: readonly string[], cluster: ClusterRead | undefined): StatusBackend['health'] {
  const record = cluster?.health.get(id);
  if (record) return record.healthy ? 'healthy' : 'unhealthy';
  if (unhealthy.includes(id)) return 'unhealthy';
  return cluster ? 'unknown' : 'healthy';
}

function countWhere(sessions: readonly ConnectionRecord[], match: (session: ConnectionRecord) => boolean): number {
  let count = 0;
  for (const session of sessions) if (match(session)) count++;
  return count;
}
