import { describe, expect, it } from 'vitest';
import { HealthTracker } from '../../src/control-plane/health-tracker.js';

describe('HealthTracker (rise/fall)', () => {
  it.each([
    {
      name: 'goes down after `fall` consecutive failures',
      observations: [false, false],
      expected: [false, true],
      healthy: false,
    },
    {
      name: 'a pass between failures resets the count',
      observations: [false, true, false],
      expected: [false, false, false],
      healthy: true,
    },
    {
      name: 'comes back after `rise` consecutive passes',
      observations: [false, false, true, true, true],
      expected: [false, true, false, false, true],
      healthy: true,
    },
    {
      name: 'a failure while coming back resets the rise',
      observations: [false, false, true, false, true, true],
      expected: [false, true, false, false, false, false],
      healthy: false,
    },
  ])('$name', ({ observations, expected, healthy }) => {
    const tracker = new HealthTracker({ rise: 3, fall: 2, node: 'n1' });
    expect(observations.map((passed, time) => tracker.observe('b', passed, time))).toEqual(expected);
    expect(tracker.records().get('b')).toMatchObject({ healthy, checkedBy: 'n1' });
  });

  it('continues from records another checker wrote, and forgets removed backends', () => {
    const tracker = new HealthTracker({ rise: 1, fall: 1, node: 'n2' });
    tracker.load(new Map([['b', { healthy: false, since: 5, checkedBy: 'n1', streak: 4 }]]));
    expect(tracker.records().get('b')).toMatchObject({ healthy: false, since: 5 });
    expect(tracker.observe('b', true, 9)).toBe(true);
    tracker.retain(new Set());
    expect(tracker.records().size).toBe(0);
  });
});
