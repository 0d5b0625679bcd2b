import { createServer, type Server } from 'node:http';
import type { AdminContext } from './admin-context.js';
import type { AdminRoute } from './admin-route.js';
import { apiRoutes } from './api/api-routes.js';
import { dashboardRoutes } from './dashboard/dashboard-routes.js';
import { healthRoutes } from './health-routes.js';
import { jsonError } from './json-response.js';
import { metricsRoute } from './metrics-route.js';

export type { AdminContext, NodeHealth } from './admin-context.js';

const routes: readonly AdminRoute[] = [healthRoutes, metricsRoute, apiRoutes, dashboardRoutes];

/**
 * The admin listener, served by the primary so it answers even while workers restart: health,
 * metrics, the JSON API and the dashboard. Unknown paths get 404 `MOORING_ERR_ADMIN_NOT_FOUND`;
 * a route that fails answers 500 rather than leaving the request hanging.
 */
export function createAdminServer(ctx: AdminContext): Server {
  return createServer((req, res) => {
    void dispatch(req, res, ctx);
  });
}

async function dispatch(
  req: Parameters<AdminRoute>[0],
  res: Parameters<AdminRoute>[1],
  ctx: AdminContext,
): Promise<void> {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://admin');
  } catch {
    return jsonError(res, 'MOORING_ERR_ADMIN_NOT_FOUND');
  }
  try {
    for (const route of routes) if (await route(req, res, url, ctx)) return;
    jsonError(res, 'MOORING_ERR_ADMIN_NOT_FOUND');
  } catch (err) {
    ctx.log.error({ err, path: url.pathname }, 'admin request failed');
    if (res.headersSent) res.destroy();
    else jsonError(res, 'MOORING_ERR_ADMIN_INTERNAL');
  }
}
