import type { AdminRoute } from './admin-route.js';
import { json } from './json-response.js';

/**
 * `/healthz` says the process is alive; `/readyz` whether it should get traffic (a load balancer
 * in front of Mooring takes the node out on 503, e.g. during shutdown).
 */
export const healthRoutes: AdminRoute = (_req, res, url, ctx) => {
  if (url.pathname === '/healthz') {
    json(res, 200, { status: 'ok' });
    return true;
  }
  if (url.pathname !== '/readyz') return false;
  const state = ctx.health();
  // Degraded still serves (from the last known state), so it stays in rotation: 200.
  const ready = state.listeningWorkers > 0 && !state.shuttingDown;
  const reason = state.shuttingDown ? 'shutting-down' : ready ? undefined : 'no-worker-listening';
  const status = !ready ? 'not-ready' : state.degraded ? 'degraded' : 'ready';
  json(res, ready ? 200 : 503, { status, reason, degraded: state.degraded, workers: state.listeningWorkers });
  return true;
};
