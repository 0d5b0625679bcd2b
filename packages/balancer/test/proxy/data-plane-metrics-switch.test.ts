import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import { DataPlaneMetrics, type TrafficSample, type TrafficSource } from '../../src/proxy/data-plane-metrics.js';

const sample: TrafficSample = {
  backend: 'b1',
  bytesFromClient: 10,
  bytesToClient: 20,
  messagesFromClient: 1,
  messagesToClient: 2,
};

/** A traffic source that counts how often it was read. */
function countingSource(): TrafficSource & { reads: number } {
  const source = {
    reads: 0,
    *sampleTraffic(): Iterable<TrafficSample> {
      source.reads++;
      yield sample;
    },
  };
  return source;
}

/** One of every event the data plane records. */
function recordEverything(metrics: DataPlaneMetrics): void {
  metrics.routed('cookie');
  metrics.refused('MOORING_ERR_NO_BACKEND');
  metrics.upgrade('b1', 'accepted');
  metrics.sessionOpened('b1');
  metrics.sessionClosed(sample, 'client', 1000, 3);
  metrics.httpAnswered('b1', 200, 0.01);
}

/** The series of a snapshot that hold a value other than zero. */
async function recordedSeries(metrics: DataPlaneMetrics): Promise<string[]> {
  const snapshot = await metrics.snapshot();
  return snapshot.filter((metric) => metric.values.some((value) => value.value !== 0)).map((metric) => metric.name);
}

describe('DataPlaneMetrics switch (--metrics)', () => {
  it('records every event when enabled (the default)', async () => {
    const metrics = new DataPlaneMetrics();
    const source = countingSource();
    metrics.watchTraffic(source);
    recordEverything(metrics);
    expect(await recordedSeries(metrics)).toEqual(
      expect.arrayContaining([
        'mooring_websocket_upgrades_total',
        'mooring_websocket_closes_total',
        'mooring_websocket_bytes_total',
        'mooring_http_requests_total',
        'mooring_refusals_total',
        'mooring_routing_decisions_total',
      ]),
    );
    expect(source.reads).toBe(1);
  });

  it('records nothing and never samples live traffic when disabled', async () => {
    const metrics = new DataPlaneMetrics({ enabled: false });
    const source = countingSource();
    metrics.watchTraffic(source);
    recordEverything(metrics);
    expect(await metrics.snapshot()).toEqual([]);
    expect(source.reads).toBe(0);
  });

  it('is on by default and turned off by --metrics false or MOORING_METRICS=false', () => {
    expect(loadConfig({ env: {} }).metrics).toBe(true);
    expect(loadConfig({ env: {}, flags: { metrics: 'false' } }).metrics).toBe(false);
    expect(loadConfig({ env: { MOORING_METRICS: 'false' } }).metrics).toBe(false);
  });
});
