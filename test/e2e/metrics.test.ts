import { execFileSync } from 'node:child_process';
import { openRecordingClient, requestText, type RecordingClient } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../support/fleet.js';

// Two workers handed connections in turn (rr), so live WebSockets sit on both of them.
let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ workers: 2, backendCount: 2, args: ['--scheduling', 'rr', '--balance', 'round-robin'] });
});
afterAll(() => fleet?.close());

/** Every sample of one metric as `labels → value`, from one scrape. */
async function scrape(name: string): Promise<Map<string, number>> {
  const text = (await requestText(`${fleet.node.adminUrl}/metrics`)).body;
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name) samples.set(match[2] ?? '', Number(match[3]));
  }
  return samples;
}

const sum = (samples: Map<string, number>, filter = ''): number =>
  [...samples].filter(([labels]) => labels.includes(filter)).reduce((total, [, value]) => total + value, 0);

function workerPids(): number[] {
  const output = execFileSync('ps', ['-o', 'pid=', '--ppid', String(fleet.node.pid)], { encoding: 'utf8' });
  return output.trim().split(/\s+/).map(Number);
}

describe('GET /metrics over two workers', () => {
  let clients: RecordingClient[] = [];

  it('counts the live WebSockets per backend as the clients hold them, bytes and messages while they live', async () => {
    clients = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        openRecordingClient(`${fleet.node.wsUrl}/m${i}`, { perMessageDeflate: false }),
      ),
    );
    for (const client of clients) expect(await client.request('x'.repeat(100))).toBe('x'.repeat(100));
    const perBackend = new Map<string, number>();
    for (const client of clients) {
      const backend = String(client.upgradeHeaders['x-backend']);
      perBackend.set(backend, (perBackend.get(backend) ?? 0) + 1);
    }
    const live = await scrape('mooring_websocket_connections');
    for (const [backend, count] of perBackend) expect(live.get(`{backend="${backend}"}`)).toBe(count);
    const bytes = await scrape('mooring_websocket_bytes_total');
    expect(sum(bytes, 'client_to_backend')).toBeGreaterThanOrEqual(8 * 100);
    expect(sum(bytes, 'backend_to_client')).toBeGreaterThanOrEqual(8 * 100);
    const messages = await scrape('mooring_websocket_messages_total');
    expect(sum(messages, 'client_to_backend')).toBe(8);
    expect(sum(await scrape('mooring_websocket_upgrades_total'), 'result="accepted"')).toBe(8);
  });

  it('counts HTTP requests by backend and status class, as many as were sent', async () => {
    const before = sum(await scrape('mooring_http_requests_total'), 'code="2xx"');
    for (let i = 0; i < 20; i++) expect((await requestText(`${fleet.node.url}/r${i}`)).status).toBe(200);
    const after = await scrape('mooring_http_requests_total');
    expect(sum(after, 'code="2xx"') - before).toBe(20);
    expect(sum(await scrape('mooring_http_request_duration_seconds_count'))).toBeGreaterThanOrEqual(20);
    expect(sum(await scrape('mooring_routing_decisions_total'), 'route="balance"')).toBeGreaterThanOrEqual(28);
  });

  it('answers within its allowance when a worker cannot answer, and counts the miss', async () => {
    const [stopped] = workerPids();
    const timeouts = sum(await scrape('mooring_metrics_worker_timeouts_total'));
    const before = sum(await scrape('mooring_http_requests_total'));
    process.kill(stopped!, 'SIGSTOP');
    try {
      const startedAt = performance.now();
      const during = sum(await scrape('mooring_http_requests_total'));
      // 1 s per worker, in parallel: well under the 10 s a scraper typically allows.
      expect(performance.now() - startedAt).toBeLessThan(5_000);
      expect(during).toBeGreaterThanOrEqual(before);
      expect(sum(await scrape('mooring_metrics_worker_timeouts_total'))).toBeGreaterThan(timeouts);
    } finally {
      process.kill(stopped!, 'SIGCONT');
    }
  });

  it('keeps the counters monotonic when a worker dies, and the scrape answering', async () => {
    await Promise.all(clients.map((client) => client.close(1000)));
    await expect.poll(async () => sum(await scrape('mooring_websocket_connections'))).toBe(0);
    const closes = sum(await scrape('mooring_websocket_closes_total'));
    expect(closes).toBe(8);
    const requests = sum(await scrape('mooring_http_requests_total'));
    const [victim] = workerPids();
    process.kill(victim!, 'SIGKILL');
    await fleet.node.waitForLog((line) => line.msg === 'worker exited, replacing it');
    await expect.poll(async () => sum(await scrape('mooring_worker_restarts_total'))).toBe(1);
    expect(sum(await scrape('mooring_http_requests_total'))).toBeGreaterThanOrEqual(requests);
    expect(sum(await scrape('mooring_websocket_closes_total'))).toBeGreaterThanOrEqual(closes);
    await expect.poll(async () => sum(await scrape('mooring_workers'))).toBe(2);
    for (let i = 0; i < 4; i++) expect((await requestText(`${fleet.node.url}/after-${i}`)).status).toBe(200);
    expect(sum(await scrape('mooring_http_requests_total'))).toBeGreaterThanOrEqual(requests + 4);
  });
});
