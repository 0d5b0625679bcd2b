import { describe, expect, it } from 'vitest';
import { DataPlaneMetrics, type MetricsSnapshot, type TrafficSample } from '../../src/proxy/data-plane-metrics.js';

/** The value of one series of a snapshot (labels matched exactly, `le` as text), or undefined when absent. */
function valueOf(snapshot: MetricsSnapshot, name: string, labels: Record<string, string>, metricName = name) {
  const metric = snapshot.find((candidate) => candidate.name === name);
  const wanted = JSON.stringify(Object.entries(labels).sort());
  return metric?.values.find(
    (value) =>
      ((value as { metricName?: string }).metricName ?? name) === metricName &&
      JSON.stringify(
        Object.entries(value.labels)
          .map(([key, label]) => [key, String(label)])
          .sort(),
      ) === wanted,
  )?.value;
}

const traffic = (backend: string, bytes: number): TrafficSample => ({
  backend,
  bytesFromClient: bytes,
  bytesToClient: 2 * bytes,
  messagesFromClient: 1,
  messagesToClient: 3,
});

/** One handshake that opens and ends, as a WebSocket session records it. */
function handshake(metrics: DataPlaneMetrics, backend: string, seconds: number): void {
  metrics.routed('balance');
  metrics.upgrade(backend, 'accepted');
  metrics.sessionOpened(backend);
  metrics.sessionClosed(traffic(backend, 10), 'client', 1000, seconds);
}

describe('DataPlaneMetrics counts between scrapes (per-backend tallies)', () => {
  it('shows at each snapshot exactly what was recorded, never twice', async () => {
    const metrics = new DataPlaneMetrics();
    for (let i = 0; i < 5; i++) handshake(metrics, 'a', 2);
    handshake(metrics, 'b', 20_000);
    metrics.sessionOpened('b');
    metrics.upgrade(undefined, 'MOORING_ERR_NO_BACKEND');
    metrics.refused('MOORING_ERR_NO_BACKEND');
    metrics.httpAnswered('a', 204, 0.02);
    metrics.httpAnswered('a', 503, 0.2);
    let snapshot = await metrics.snapshot();
    expect(valueOf(snapshot, 'mooring_routing_decisions_total', { route: 'balance' })).toBe(6);
    expect(valueOf(snapshot, 'mooring_websocket_upgrades_total', { backend: 'a', result: 'accepted' })).toBe(5);
    expect(
      valueOf(snapshot, 'mooring_websocket_upgrades_total', { backend: '', result: 'MOORING_ERR_NO_BACKEND' }),
    ).toBe(1);
    expect(valueOf(snapshot, 'mooring_refusals_total', { code: 'MOORING_ERR_NO_BACKEND' })).toBe(1);
    // Opened and closed: the series exists, at 0.
    expect(valueOf(snapshot, 'mooring_websocket_connections', { backend: 'a' })).toBe(0);
    expect(valueOf(snapshot, 'mooring_websocket_connections', { backend: 'b' })).toBe(1);
    expect(valueOf(snapshot, 'mooring_websocket_closes_total', { backend: 'a', reason: 'client', code: '1000' })).toBe(
      5,
    );
    expect(valueOf(snapshot, 'mooring_websocket_bytes_total', { backend: 'a', direction: 'backend_to_client' })).toBe(
      100,
    );
    expect(
      valueOf(snapshot, 'mooring_websocket_messages_total', { backend: 'b', direction: 'client_to_backend' }),
    ).toBe(1);
    const duration = 'mooring_websocket_session_duration_seconds';
    expect(valueOf(snapshot, duration, { backend: 'a' }, `${duration}_count`)).toBe(5);
    expect(valueOf(snapshot, duration, { backend: 'a' }, `${duration}_sum`)).toBe(10);
    expect(valueOf(snapshot, duration, { backend: 'b', le: '900' }, `${duration}_bucket`)).toBe(0);
    expect(valueOf(snapshot, duration, { backend: 'b', le: '86400' }, `${duration}_bucket`)).toBe(1);
    expect(valueOf(snapshot, 'mooring_http_requests_total', { backend: 'a', code: '2xx' })).toBe(1);
    expect(valueOf(snapshot, 'mooring_http_requests_total', { backend: 'a', code: '5xx' })).toBe(1);
    const http = 'mooring_http_request_duration_seconds';
    expect(valueOf(snapshot, http, { backend: 'a', le: '0.025' }, `${http}_bucket`)).toBe(1);

    metrics.sessionClosed(traffic('b', 1), 'backend', undefined, 1);
    handshake(metrics, 'a', 2);
    snapshot = await metrics.snapshot();
    expect(valueOf(snapshot, 'mooring_routing_decisions_total', { route: 'balance' })).toBe(7);
    expect(valueOf(snapshot, 'mooring_websocket_upgrades_total', { backend: 'a', result: 'accepted' })).toBe(6);
    expect(valueOf(snapshot, 'mooring_websocket_connections', { backend: 'b' })).toBe(0);
    expect(valueOf(snapshot, 'mooring_websocket_closes_total', { backend: 'b', reason: 'backend', code: '' })).toBe(1);
    expect(valueOf(snapshot, duration, { backend: 'a' }, `${duration}_count`)).toBe(6);
    expect(valueOf(snapshot, 'mooring_http_requests_total', { backend: 'a', code: '2xx' })).toBe(1);
  });

  it('adds live traffic sampled at scrape time to the counts of the sessions that ended', async () => {
    const metrics = new DataPlaneMetrics();
    metrics.watchTraffic({ sampleTraffic: () => [traffic('a', 7), traffic('a', 3)] });
    handshake(metrics, 'a', 1);
    const snapshot = await metrics.snapshot();
    expect(valueOf(snapshot, 'mooring_websocket_bytes_total', { backend: 'a', direction: 'client_to_backend' })).toBe(
      20,
    );
    expect(
      valueOf(snapshot, 'mooring_websocket_messages_total', { backend: 'a', direction: 'backend_to_client' }),
    ).toBe(9);
  });

  it('drops the tally of a backend that counted nothing for a whole scrape interval, keeping its series', async () => {
    const metrics = new DataPlaneMetrics();
    handshake(metrics, 'gone', 1);
    handshake(metrics, 'stays', 1);
    expect(metrics.talliedBackends).toBe(2);
    await metrics.snapshot();
    expect(metrics.talliedBackends).toBe(2); // active in the interval that just ended
    handshake(metrics, 'stays', 1);
    const snapshot = await metrics.snapshot();
    expect(metrics.talliedBackends).toBe(1);
    expect(valueOf(snapshot, 'mooring_websocket_upgrades_total', { backend: 'gone', result: 'accepted' })).toBe(1);
    expect(valueOf(snapshot, 'mooring_websocket_upgrades_total', { backend: 'stays', result: 'accepted' })).toBe(2);
    await metrics.snapshot();
    expect(metrics.talliedBackends).toBe(0);
  });

  it('holds a bounded number of tallies when nobody scrapes, and loses no count', async () => {
    const metrics = new DataPlaneMetrics();
    for (let i = 0; i < 10_000; i++) metrics.upgrade(`backend-${i}`, 'accepted');
    expect(metrics.talliedBackends).toBeLessThanOrEqual(8_192);
    for (let i = 0; i < 3_000; i++) metrics.sessionClosed(traffic('a', 1), 'client', 1000, 1);
    const snapshot = await metrics.snapshot();
    const upgrades = snapshot.find((metric) => metric.name === 'mooring_websocket_upgrades_total')!;
    expect(upgrades.values.length).toBe(10_000);
    expect(upgrades.values.every((value) => value.value === 1)).toBe(true);
    const duration = 'mooring_websocket_session_duration_seconds';
    expect(valueOf(snapshot, duration, { backend: 'a' }, `${duration}_count`)).toBe(3_000);
    expect(valueOf(snapshot, 'mooring_websocket_connections', { backend: 'a' })).toBe(-3_000);
  });
});
