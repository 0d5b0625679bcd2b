import { describe, expect, it } from 'vitest';
import { DegradedTracker } from '../../src/control-plane/degraded-tracker.js';
import { recordingLog } from './fakes.js';

describe('DegradedTracker', () => {
  it('turns degraded on a failure, logs it once per outage, and ends it on recovered()', async () => {
    const { log, lines } = recordingLog();
    const tracker = new DegradedTracker(log);
    expect(await tracker.guard(async () => {})).toBe(true);
    expect(tracker.recovered()).toBe(false); // nothing to recover from

    const down = async (): Promise<never> => Promise.reject(new Error('down'));
    expect(await tracker.guard(down)).toBe(false);
    expect(await tracker.guard(down)).toBe(false);
    expect(tracker.degraded).toBe(true);
    // A successful read is not a recovery: only a heartbeat proves the node is registered again.
    expect(await tracker.guard(async () => {})).toBe(true);
    expect(tracker.state).toBe('degraded');
    expect(lines.filter((line) => /unreachable/.test(String(line.msg)))).toHaveLength(1);

    expect(tracker.recovered()).toBe(true);
    expect(tracker.recovered()).toBe(false);
    expect(tracker.degraded).toBe(false);
    expect(lines.map((line) => line.msg)).toContain('shared state reachable again, re-publishing this node');
    expect(await tracker.guard(down)).toBe(false);
    expect(lines.filter((line) => /unreachable/.test(String(line.msg)))).toHaveLength(2); // a new outage
  });
});
