import { describe, expect, it } from 'vitest';
import { WorkerMetricsAggregation } from '../../src/admin/worker-metrics-aggregation.js';
import { DataPlaneMetrics } from '../../src/proxy/data-plane-metrics.js';

/** The value of one series in Prometheus text, or undefined when absent. */
function valueOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function workerWith(requests: number, live: number): Promise<DataPlaneMetrics> {
  const metrics = new DataPlaneMetrics();
  for (let i = 0; i < requests; i++) metrics.httpAnswered('b1', 200, 0.02);
  for (let i = 0; i < live; i++) metrics.sessionOpened('b1');
  return metrics;
}

describe('WorkerMetricsAggregation', () => {
  it('sums counters, gauges and histogram buckets over the workers', async () => {
    const aggregation = new WorkerMetricsAggregation();
    aggregation.update(1, await (await workerWith(3, 2)).snapshot());
    aggregation.update(2, await (await workerWith(4, 5)).snapshot());
    const text = await aggregation.merged().metrics();
    expect(valueOf(text, 'mooring_http_requests_total{backend="b1",code="2xx"}')).toBe(7);
    expect(valueOf(text, 'mooring_websocket_connections{backend="b1"}')).toBe(7);
    expect(valueOf(text, 'mooring_http_request_duration_seconds_bucket{le="0.025",backend="b1"}')).toBe(7);
    expect(valueOf(text, 'mooring_http_request_duration_seconds_count{backend="b1"}')).toBe(7);
  });

  it('keeps the counters of a worker that exited and drops its gauges', async () => {
    const aggregation = new WorkerMetricsAggregation();
    aggregation.update(1, await (await workerWith(3, 2)).snapshot());
    aggregation.update(2, await (await workerWith(4, 5)).snapshot());
    await aggregation.workerExited(2);
    // Its replacement starts from zero: the total must not go back.
    aggregation.update(3, await (await workerWith(1, 1)).snapshot());
    const text = await aggregation.merged().metrics();
    expect(valueOf(text, 'mooring_http_requests_total{backend="b1",code="2xx"}')).toBe(8);
    expect(valueOf(text, 'mooring_websocket_connections{backend="b1"}')).toBe(3);
    await aggregation.workerExited(1);
    await aggregation.workerExited(3);
    const after = await aggregation.merged().metrics();
    expect(valueOf(after, 'mooring_http_requests_total{backend="b1",code="2xx"}')).toBe(8);
    expect(valueOf(after, 'mooring_websocket_connections{backend="b1"}')).toBeUndefined();
  });

  it('keeps a slow worker at what it said last', async () => {
    const aggregation = new WorkerMetricsAggregation();
    const worker = await workerWith(2, 0);
    aggregation.update(1, await worker.snapshot());
    worker.httpAnswered('b1', 503, 0.1); // not scraped: the worker did not answer in time
    const text = await aggregation.merged().metrics();
    expect(valueOf(text, 'mooring_http_requests_total{backend="b1",code="2xx"}')).toBe(2);
    expect(valueOf(text, 'mooring_http_requests_total{backend="b1",code="5xx"}')).toBeUndefined();
  });
});
