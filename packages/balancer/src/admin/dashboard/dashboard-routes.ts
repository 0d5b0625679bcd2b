import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminContext } from '../admin-context.js';
import type { AdminRoute } from '../admin-route.js';
import { jsonError } from '../json-response.js';
import { dashboardAsset, sendAsset } from './dashboard-assets.js';
import { DashboardStreams } from './dashboard-streams.js';

/** Where the page listens for its updates (Server-Sent Events). */
export const eventsPath = '/api/v1/events';

/**
 * The event streams of each admin listener, by its context. Routes are plain functions shared
 * by every listener, so the state a listener's streams share (their timer, the cap, the drain
 * counts) hangs off its context, and goes with it.
 */
const streamsByContext = new WeakMap<AdminContext, DashboardStreams>();

/** The event streams of the admin listener serving `ctx` (tests read their count). */
export function dashboardStreams(ctx: AdminContext): DashboardStreams {
  let streams = streamsByContext.get(ctx);
  if (streams === undefined) {
    streams = new DashboardStreams(ctx);
    streamsByContext.set(ctx, streams);
  }
  return streams;
}

/** The live dashboard: its page at `/`, its assets under `/assets/`, and its event stream. */
export const dashboardRoutes: AdminRoute = async (req, res, url, ctx) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  if (url.pathname === eventsPath) return req.method === 'GET' && openStream(req, res, ctx);
  const asset = await dashboardAsset(url.pathname);
  if (asset === undefined) return false;
  sendAsset(res, asset);
  return true;
};

async function openStream(req: IncomingMessage, res: ServerResponse, ctx: AdminContext): Promise<boolean> {
  // A client gone while earlier routes were answering would never emit 'close' again.
  if (req.socket.destroyed) return true;
  const streams = dashboardStreams(ctx);
  if (!streams.accepting) {
    jsonError(res, 'MOORING_ERR_ADMIN_TOO_MANY_STREAMS', undefined, { 'retry-after': '5' });
    return true;
  }
  await streams.open(res);
  return true;
}
