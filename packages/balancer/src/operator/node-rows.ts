import type { NodeInfo, StateStore } from '../state/state-store.js';

/** One node as `status` and `GET /api/v1/status` show it; a stable JSON shape. */
export interface NodeRow {
  readonly id: string;
  readonly listen: string;
  readonly admin: string;
  readonly pid: number;
  readonly degraded: boolean;
  /** Milliseconds since the epoch. */
  readonly startedAt: number;
  /** How long ago the node's last heartbeat reached the store. */
  readonly heartbeatAgeMs: number;
}

/** A node's row at `at` (milliseconds since the epoch). */
export function nodeRow(node: NodeInfo, at: number): NodeRow {
  const { id, listen, admin, pid, startedAt } = node;
  return {
    id,
    listen,
    admin,
    pid,
    degraded: node.degraded ?? false,
    startedAt,
    heartbeatAgeMs: at - (node.heartbeatAt ?? at),
  };
}

/** The live nodes, sorted by id. */
export async function readNodeRows(store: StateStore, at: number): Promise<NodeRow[]> {
  const nodes = await store.listNodes();
  return nodes.map((node) => nodeRow(node, at)).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
