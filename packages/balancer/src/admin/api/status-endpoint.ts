import { readNodeRows } from '../../operator/node-rows.js';
import type { StateStore } from '../../state/state-store.js';
import { json } from '../json-response.js';
import type { ApiEndpoint } from './api-endpoint.js';
import { statusView, type ClusterRead } from './status-view.js';

/**
 * Longest wait for the shared state before the status is answered stale. The store's own
 * command timeout (500 ms) normally ends a failing read first; this bounds the answer whatever
 * the store does, so the dashboard and a probe never wait on Redis.
 */
const clusterReadTimeoutMs = 1_500;

/**
 * `GET /api/v1/status`: this node (workers, live sessions, degraded) and the cluster (nodes with
 * heartbeat age, backends with health, live counts per node and drain progress, and the last
 * rebalance's progress while it runs or for an hour after). With the shared
 * state down it still answers 200, from this node's own knowledge, with `"stale": true`.
 */
export const statusEndpoint: ApiEndpoint = {
  GET: async ({ ctx, res }) => {
    const local = ctx.local();
    const at = ctx.now();
    // Degraded: the store is known to be away, so the answer does not wait for it to fail again.
    const cluster = local.controlPlane.degraded ? undefined : await readCluster(ctx.store, at);
    json(res, 200, statusView(local, at, cluster));
  },
};

/** The cluster part from the store, or undefined when it fails or is too slow. Never rejects. */
async function readCluster(store: StateStore, at: number): Promise<ClusterRead | undefined> {
  const read = Promise.all([
    readNodeRows(store, at),
    store.liveCounts(),
    store.readHealth(),
    store.readRebalance(),
  ]).then(([nodes, counts, health, rebalance]): ClusterRead => ({ nodes, counts, health, rebalance }));
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(resolve, clusterReadTimeoutMs, undefined);
  });
  try {
    // A read that loses the race and fails later is still handled: race subscribed to it.
    return await Promise.race([read.catch(() => undefined), late]);
  } finally {
    clearTimeout(timer);
  }
}
