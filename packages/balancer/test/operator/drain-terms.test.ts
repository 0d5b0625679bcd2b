import { describe, expect, it } from 'vitest';
import { checkDrainTerms, drainDefaults } from '../../src/operator/drain-terms.js';
import { failureOf } from './operator-fixture.js';

const flagNames = { deadline: '--deadline', closeRate: '--close-rate', closeCode: '--close-code' };

describe('checkDrainTerms', () => {
  it('applies the defaults 5m, 100/s and 1012 to what is not given', () => {
    expect(drainDefaults).toEqual({ deadline: '5m', closeRate: 100, closeCode: 1012 });
    expect(checkDrainTerms({})).toEqual({ deadlineMs: 300_000, closeRate: 100, closeCode: 1012 });
  });

  it('takes text (flags) and numbers (JSON) alike; a deadline in milliseconds or as a duration', () => {
    const fromFlags = checkDrainTerms({ deadline: '500ms', closeRate: '2.5', closeCode: '4000' }, flagNames);
    expect(fromFlags).toEqual({ deadlineMs: 500, closeRate: 2.5, closeCode: 4000 });
    expect(checkDrainTerms({ deadline: 500, closeRate: 2.5, closeCode: 4000 })).toEqual(fromFlags);
    expect(checkDrainTerms({ deadline: 0 })).toMatchObject({ deadlineMs: 0 });
  });

  it.each([
    [{ closeCode: 1006 }, 'closeCode: expected a WebSocket close code that may be sent', 'got 1006'],
    [{ closeCode: '1012' as unknown }, undefined, undefined],
    [{ closeCode: true }, 'closeCode: expected a WebSocket close code', 'got true'],
    [{ deadline: -1 }, 'deadline: expected a duration such as 30s, 5m or 1h', 'got -1'],
    [{ deadline: 'soon' }, 'deadline: expected a duration such as 30s, 5m or 1h', 'got "soon"'],
    [{ deadline: { ms: 5 } }, 'deadline: expected a duration', 'got {"ms":5}'],
    [{ closeRate: 0 }, 'closeRate: expected a positive number', 'got 0'],
    [{ closeRate: null }, undefined, undefined],
    [{ closeRate: [5] }, 'closeRate: expected a positive number', 'got [5]'],
  ])('checks %j, naming the JSON key', async (input, start, end) => {
    if (start === undefined) return void expect(() => checkDrainTerms(input)).not.toThrow();
    const error = await failureOf(() => checkDrainTerms(input));
    expect(error.code).toBe('MOORING_ERR_OPERATOR_INVALID_ARGUMENT');
    expect(error.message.startsWith(start)).toBe(true);
    expect(error.message.endsWith(end!)).toBe(true);
  });

  it('names the flags for the CLI', async () => {
    const error = await failureOf(() => checkDrainTerms({ closeRate: '-5' }, flagNames));
    expect(error.message).toBe('--close-rate: expected a positive number, got "-5"');
  });
});
