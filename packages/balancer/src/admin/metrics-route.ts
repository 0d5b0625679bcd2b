import type { AdminRoute } from './admin-route.js';

/** `GET /metrics`: Prometheus text format, this node's workers aggregated (never failed by one slow worker). */
export const metricsRoute: AdminRoute = async (req, res, url, ctx) => {
  if (url.pathname !== '/metrics' || req.method !== 'GET') return false;
  const text = await ctx.metricsText();
  res.writeHead(200, {
    'content-type': 'text/plain; version=0.0.4; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
  return true;
};
