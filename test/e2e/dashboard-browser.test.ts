import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import {
  findFreePort,
  openRecordingClient,
  runMooring,
  startTestBackend,
  type MooringNode,
  type RecordingClient,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../packages/balancer/src/core/backend.js';
import { isMalformed, parseRegistryEntry } from '../../packages/balancer/src/state/registry-entry.js';
import {
  backend,
  startAdmin,
  stubContext,
  stubNode,
} from '../../packages/balancer/test/admin/dashboard/stub-context.js';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';

const chromiumPath = '/usr/bin/chromium';
/**
 * The README's picture. Written only when asked (`MOORING_UPDATE_SCREENSHOT=1`), so a test run
 * never dirties the working tree; otherwise it goes to the temp directory.
 */
const screenshotPath = process.env.MOORING_UPDATE_SCREENSHOT
  ? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url))
  : join(tmpdir(), 'mooring-dashboard.png');
const laptop = { width: 1280, height: 800 };
/**
 * WebSockets on the backend that is drained, closed one at a time; each step waits for the
 * next status (one a second), so this sets most of the test's length.
 */
const drainedClients = 8;
const phone = { width: 390, height: 844 };
/** The page updates once a second; allow for a busy machine. */
const update = { timeout: 5_000, interval: 100 };

let browser: Browser;
beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: apt-get install chromium (pnpm test installs it as root)`);
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}, 30_000);
afterAll(() => browser?.close());

/** The text of the first element matching `selector`, or null while there is none. */
const textOf = (page: Page, selector: string) =>
  page
    .locator(selector)
    .first()
    .textContent({ timeout: 500 })
    .catch(() => null);
const backendCell = (id: string, cell: string) => `#backends-rows tr[data-backend="${id}"] .${cell}`;

describe('the dashboard of a real node, in headless Chromium', () => {
  const prefix = uniquePrefix();
  let redis: RedisServerProcess;
  let raw: Redis;
  let backends: TestBackend[];
  let nodeA: MooringNode;
  let nodeB: MooringNode;
  const onApp1: RecordingClient[] = [];
  const elsewhere: RecordingClient[] = [];
  let page: Page;

  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    await raw.connect();
    backends = await Promise.all(['app-1', 'app-2', 'app-3'].map((name) => startTestBackend({ name })));
    // app-1 alone at first, so that the first clients all land on it.
    await raw.hset(`${prefix}:backends`, 'app-1', backends[0]!.url);
    // Ports chosen here rather than 0, so that the nodes table shows real addresses (the
    // shared state holds the configured ones).
    const addresses: string[] = [];
    for (let i = 0; i < 4; i++) addresses.push(`127.0.0.1:${await findFreePort()}`);
    [nodeA, nodeB] = await Promise.all([
      startSharedNode(redis, prefix, 'node-a', ['--listen', addresses[0]!, '--admin', addresses[1]!], 2),
      startSharedNode(redis, prefix, 'node-b', ['--listen', addresses[2]!, '--admin', addresses[3]!], 1),
    ]);
    for (let i = 0; i < drainedClients; i++) onApp1.push(await openRecordingClient(`${nodeA.wsUrl}/`));
    page = await browser.newPage({ viewport: laptop });
  }, 30_000);

  afterAll(async () => {
    await Promise.all([...onApp1, ...elsewhere].map((client) => client.ws.terminate()));
    await Promise.all([nodeA, nodeB].filter(Boolean).map((node) => node.stop()));
    await Promise.all((backends ?? []).map((backend) => backend.close()));
    raw?.disconnect();
    await redis?.stop();
  });

  it('shows the nodes and backends, and follows new backends without a reload', async () => {
    await page.goto(nodeA.adminUrl);
    await expect.poll(() => textOf(page, '#stream-state'), update).toBe('live');
    await expect.poll(() => textOf(page, backendCell('app-1', 'live')), update).toBe(String(drainedClients));
    expect(backends[0]!.openWebSockets).toBe(drainedClients);
    await expect
      .poll(() => page.locator('#nodes-rows tr').allTextContents(), update)
      .toEqual([expect.stringContaining('node-a'), expect.stringContaining('node-b')]);
    await raw.hset(`${prefix}:backends`, 'app-2', backends[1]!.url, 'app-3', backends[2]!.url);
    await expect.poll(() => page.locator('#backends-rows tr').count(), update).toBe(3);
    await expect.poll(() => metricsOf(nodeB), update).toContain('mooring_backend_weight{backend="app-3"}');
    // Least-connections sends these to app-2 and app-3: app-1 holds more than all of them.
    for (const node of [nodeA, nodeA, nodeB, nodeB, nodeB]) elsewhere.push(await openRecordingClient(`${node.wsUrl}/`));
    expect(await textOf(page, backendCell('app-1', 'health'))).toBe('up');
    await expect
      .poll(
        async () =>
          Number(await textOf(page, backendCell('app-2', 'live'))) +
          Number(await textOf(page, backendCell('app-3', 'live'))),
        update,
      )
      .toBe(5);
    await expect
      .poll(() => textOf(page, `${backendCell('app-2', 'per-node')}`), update)
      .toMatch(/node-a \d+node-b \d+/);
  });

  it('shows a drain started from the CLI and its count falling as clients leave, without a reload', async () => {
    const drained = await runMooring([
      'backend',
      'drain',
      'app-1',
      '--deadline',
      '10m',
      '--redis',
      redis.url,
      '--prefix',
      prefix,
    ]);
    expect(drained.stderr).toBe('');
    expect(drained.code).toBe(0);
    await expect.poll(() => textOf(page, backendCell('app-1', 'state')), update).toBe('draining');
    const drain = '#drains li[data-backend="app-1"]';
    const all = drainedClients;
    await expect.poll(() => textOf(page, `${drain} .remaining`), update).toBe(`${all} of ${all} left`);
    expect(await textOf(page, `${drain} .deadline`)).toMatch(/^deadline in (9m|10m) \d\ds$/);
    for (let left = all - 1; left >= 0; left--) {
      await onApp1.pop()!.close(1000, 'bye');
      await expect.poll(() => textOf(page, backendCell('app-1', 'live')), update).toBe(String(left));
      await expect.poll(() => textOf(page, `${drain} .remaining`), update).toBe(`${left} of ${all} left`);
      expect(await page.locator(`${drain} progress`).getAttribute('value')).toBe(String(all - left));
      if (left === all / 2) await takeScreenshot(page);
    }
  });

  it('fits a phone screen: one column, no sideways scrolling', async () => {
    const small = await browser.newPage({ viewport: phone, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await small.goto(nodeA.adminUrl);
    await expect.poll(() => textOf(small, backendCell('app-1', 'state')), update).toBe('draining');
    const layout = await small.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      headerShown: getComputedStyle(document.querySelector('#backends thead')!).display !== 'none',
      rowWidth: document.querySelector('#backends-rows tr')!.getBoundingClientRect().width,
    }));
    expect(layout.scrollWidth).toBeLessThanOrEqual(phone.width);
    expect(layout.headerShown).toBe(false);
    expect(layout.rowWidth).toBeLessThanOrEqual(phone.width);
    const chart = await small.locator('#chart-live').boundingBox();
    expect(chart!.width).toBeGreaterThan(phone.width / 2);
    await small.screenshot({ path: join(tmpdir(), 'mooring-dashboard-phone.png'), fullPage: true });
    await small.close();
  });

  it('says degraded when Redis goes away, and keeps showing what this node knows', async () => {
    raw.disconnect();
    await redis.stop();
    await expect.poll(() => textOf(page, '#node-state'), update).toBe('degraded');
    expect(await page.locator('#degraded-notice').isVisible()).toBe(true);
    expect(await textOf(page, '#stream-state')).toBe('live');
    expect(await page.locator('#backends-rows tr').count()).toBe(3);
    expect(await textOf(page, backendCell('app-1', 'state'))).toBe('draining');
    // This node's own counts stay current: they come from its connection table, not from Redis.
    await expect.poll(() => textOf(page, '#live-now'), update).toBe('2');
    await elsewhere.shift()!.close(1000, 'bye');
    await expect.poll(() => textOf(page, '#live-now'), update).toBe('1');
  });
});

describe('hostile text from the registry, in headless Chromium', () => {
  it('is shown as text: never parsed as markup, never run', async () => {
    // The registry refuses "<" in ids and URLs, but takes quotes, "=" and parentheses in a host.
    const oddUrl = `http://x"'onmouseover=alert(1)`;
    const parsed = parseRegistryEntry('odd', oddUrl);
    expect(isMalformed(parsed)).toBe(false);
    // Ids are validated too; the page must hold even if some were not.
    const script = '<script>window.pwned = 1</script>';
    const img = '<img src=x onerror="window.pwned = 1">';
    const started = Date.now();
    const node = stubNode({
      nodeId: img,
      backends: [backend(script, { url: (parsed as Backend).url, state: 'draining' }), backend('plain')],
      drains: new Map([[script, { startedAt: started, deadlineAt: started + 60_000, closeRate: 10, closeCode: 1012 }]]),
    });
    const admin = await startAdmin(stubContext(node).ctx);
    const page = await browser.newPage({ viewport: laptop });
    try {
      await page.goto(admin.url);
      await expect.poll(() => textOf(page, '#backends-rows tr .id'), update).toBe(script);
      expect(await textOf(page, '#backends-rows tr .url')).toBe(`http://x"'onmouseover=alert(1)`);
      expect(await textOf(page, '#node-id')).toBe(img);
      expect(await textOf(page, '#drains .drain-id')).toBe(script);
      expect(await page.locator('body script, body img, [onmouseover], [onerror]').count()).toBe(0);
      await page.hover('#backends-rows tr .url');
      expect(await page.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    } finally {
      await page.close();
      await admin.close();
    }
  });
});

/** The Prometheus text of a node. */
async function metricsOf(node: MooringNode): Promise<string> {
  return (await fetch(`${node.adminUrl}/metrics`)).text();
}

async function takeScreenshot(page: Page): Promise<void> {
  mkdirSync(join(screenshotPath, '..'), { recursive: true });
  const png = await page.screenshot({ fullPage: true });
  expect(png.subarray(1, 4).toString()).toBe('PNG');
  writeFileSync(screenshotPath, png);
}
