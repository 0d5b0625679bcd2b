import { readFile } from 'node:fs/promises';
import type { ServerResponse } from 'node:http';
import { dashboardHtml } from './dashboard-page.js';
import { dashboardCss } from './dashboard-stylesheet.js';

/**
 * Headers of the page and of everything it loads. The policy allows only this listener's own
 * scripts, styles and event stream: no inline script, no other origin, no framing, so text
 * that slipped into the registry cannot run even if a bug rendered it as markup.
 */
export const dashboardSecurityHeaders: Readonly<Record<string, string>> = {
  'content-security-policy': "default-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  // Assets change with every release and the page is live data: never a stale copy.
  'cache-control': 'no-store',
};

/** The browser modules under assets/ (tsc ships them to dist with `allowJs`). */
const scripts = new Set([
  'dashboard.js',
  'chart.js',
  'dom.js',
  'format.js',
  'render-backends.js',
  'render-drains.js',
  'render-nodes.js',
]);

const assetsDir = new URL('./assets/', import.meta.url);

/** The body and type of the dashboard file at `pathname`, or undefined when there is none. */
export async function dashboardAsset(pathname: string): Promise<{ body: string; type: string } | undefined> {
  if (pathname === '/') return { body: dashboardHtml, type: 'text/html; charset=utf-8' };
  if (pathname === '/assets/dashboard.css') return { body: dashboardCss, type: 'text/css; charset=utf-8' };
  const name = /^\/assets\/([a-z-]+\.js)$/.exec(pathname)?.[1];
  if (name === undefined || !scripts.has(name)) return undefined;
  // Read on each request: a few small files for an operator's page, and never a stale copy.
  const body = await readFile(new URL(name, assetsDir), 'utf8');
  return { body, type: 'text/javascript; charset=utf-8' };
}

/** Answers with an asset and the security headers. */
export function sendAsset(res: ServerResponse, asset: { body: string; type: string }): void {
  res.writeHead(200, {
    ...dashboardSecurityHeaders,
    'content-type': asset.type,
    'content-length': Buffer.byteLength(asset.body),
  });
  res.end(asset.body);
}
