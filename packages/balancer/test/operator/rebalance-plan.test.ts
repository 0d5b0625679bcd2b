import { describe, expect, it } from 'vitest';
import { planRebalance, type RebalanceInput } from '../../src/operator/rebalance-plan.js';
import { chooseVictims, closesByNode } from '../../src/operator/rebalance-round.js';
import { checkRebalanceTerms } from '../../src/operator/rebalance-terms.js';
import type { ConnectionRecord } from '../../src/core/session-record.js';

const backends = (...lives: number[]): RebalanceInput[] =>
  lives.map((live, index) => ({ id: `b${index + 1}`, weight: 1, live }));
const moves = (inputs: RebalanceInput[], tolerance = 0.1): number[] =>
  planRebalance(inputs, tolerance).backends.map((backend) => backend.move);

describe('planRebalance', () => {
  it.each([
    // 90 sessions on 3 of 6 backends: share 15, bounds 14..16; 14 off each old one (42, not 45).
    { name: 'scale-out from 3 to 6', inputs: backends(30, 30, 30, 0, 0, 0), move: [14, 14, 14, 0, 0, 0], total: 42 },
    // Share 10, bounds 9..11: every old backend is within (11 ≤ 11) but the newcomer is empty; it
    // needs 9, so one off each of 9 of them, no more.
    { name: 'one empty newcomer among many', inputs: backends(11, 11, 11, 11, 11, 11, 11, 11, 11, 11, 0), total: 9 },
    // 60+60 onto 3: share 40, bounds 36..44: taking 16 each to 44 leaves the newcomer at 32, so 2 more.
    { name: 'the newcomer needs more than the excess', inputs: backends(60, 60, 0), move: [18, 18, 0], total: 36 },
    { name: 'already balanced', inputs: backends(15, 16, 14), move: [0, 0, 0], total: 0 },
    { name: 'no sessions', inputs: backends(0, 0, 0), move: [0, 0, 0], total: 0 },
    { name: 'no backends', inputs: [], move: [], total: 0 },
  ])('$name', ({ inputs, move, total }) => {
    const plan = planRebalance(inputs, 0.1);
    if (move) expect(plan.backends.map((backend) => backend.move)).toEqual(move);
    expect(plan.moves).toBe(total);
    expect(plan.balanced).toBe(total === 0);
  });

  it('weighs the share: a weight-2 backend keeps twice as many', () => {
    const plan = planRebalance(
      [
        { id: 'big', weight: 2, live: 40 },
        { id: 'small', weight: 1, live: 20 },
        { id: 'new', weight: 1, live: 0 },
      ],
      0.1,
    );
    expect(plan.backends.map(({ id, share, low, high, move }) => ({ id, share, low, high, move }))).toEqual([
      { id: 'big', share: 30, low: 27, high: 33, move: 9 },
      { id: 'small', share: 15, low: 14, high: 16, move: 5 },
      { id: 'new', share: 15, low: 14, high: 16, move: 0 },
    ]);
    expect(plan.moves).toBe(14);
  });

  it('widens bounds narrower than one session to the whole numbers around the share', () => {
    // Share 10/3 each: 0 % tolerance still has a balanced outcome, 3..4.
    const plan = planRebalance(backends(10, 0, 0), 0);
    expect(plan.backends.map(({ low, high }) => [low, high])).toEqual([
      [3, 4],
      [3, 4],
      [3, 4],
    ]);
    expect(plan.moves).toBe(6);
  });

  it('moving what it plans leaves every backend within bounds', () => {
    for (const lives of [
      [30, 30, 30, 0, 0, 0],
      [100, 3, 0],
      [7, 0, 0, 0, 0],
      [50, 49, 1, 0],
    ]) {
      const plan = planRebalance(backends(...lives), 0.1);
      const after = plan.backends.map((backend) => backend.live - backend.move);
      // The moved sessions reconnect to the least loaded backend, one at a time.
      for (let i = 0; i < plan.moves; i++) {
        const least = after.indexOf(Math.min(...after));
        after[least]!++;
      }
      plan.backends.forEach((backend, index) => {
        expect(after[index]).toBeGreaterThanOrEqual(backend.low);
        expect(after[index]).toBeLessThanOrEqual(backend.high);
      });
      expect(moves(backends(...after), 0.1).every((move) => move === 0)).toBe(true);
    }
  });
});

describe('chooseVictims', () => {
  const session = (id: string, backend: string, startedAt: number, node = 'n1'): ConnectionRecord => ({
    id,
    node,
    backend,
    worker: 1,
    client: '10.0.0.1',
    route: 'balance',
    startedAt,
  });

  it('takes the oldest sessions of each backend to move, none too young and none asked before', () => {
    const plan = planRebalance(backends(4, 0), 0);
    expect(plan.backends.map((backend) => backend.move)).toEqual([2, 0]);
    const sessions = [
      session('young', 'b1', 9_500),
      session('old-2', 'b1', 2_000, 'n2'),
      session('asked', 'b1', 500),
      session('old-1', 'b1', 1_000),
      session('other', 'b2', 0),
    ];
    const victims = chooseVictims(plan, sessions, {
      now: 10_000,
      minAgeMs: 1_000,
      asked: new Set(['asked']),
      known: new Set(sessions.map((record) => record.id)),
    });
    expect(victims.map((record) => record.id)).toEqual(['old-1', 'old-2']);
    expect(closesByNode(victims)).toEqual([
      { node: 'n1', ids: ['old-1'] },
      { node: 'n2', ids: ['old-2'] },
    ]);
  });

  it('takes fewer than planned when too few are old enough', () => {
    const plan = planRebalance(backends(4, 0), 0);
    const sessions = [0, 1, 2, 3].map((index) => session(`s${index}`, 'b1', index === 0 ? 0 : 9_999));
    const known = new Set(sessions.map((record) => record.id));
    expect(chooseVictims(plan, sessions, { now: 10_000, minAgeMs: 5_000, asked: new Set(), known })).toHaveLength(1);
  });
});

describe('chooseVictims across rounds', () => {
  it('never takes a session first listed after the closes began: a moved client is closed once', () => {
    const plan = planRebalance(backends(4, 0), 0);
    const record = (id: string, startedAt: number): ConnectionRecord => ({
      id,
      node: 'n1',
      backend: 'b1',
      worker: 1,
      client: '10.0.0.1',
      route: 'cookie-repinned',
      startedAt,
    });
    // b1 holds two sessions listed before the first close and two reconnections that landed there
    // since, one of them from a node whose clock is a minute behind the command's: its start looks
    // older than any other, and it is still not taken.
    const sessions = [
      record('before-1', 1_000),
      record('before-2', 5_000),
      record('back-1', 6_000),
      record('back-skewed', -54_000),
    ];
    const victims = chooseVictims(plan, sessions, {
      now: 60_000,
      minAgeMs: 1_000,
      asked: new Set(),
      known: new Set(['before-1', 'before-2']),
    });
    expect(victims.map((victim) => victim.id)).toEqual(['before-1', 'before-2']);
  });
});

describe('checkRebalanceTerms', () => {
  it('takes the defaults and accepted forms', () => {
    expect(checkRebalanceTerms({})).toEqual({ tolerance: 0.1, rate: 20, minAgeMs: 30_000, forMs: undefined });
    expect(checkRebalanceTerms({ tolerance: '0%', rate: '2.5', minAge: '500ms', for: '2m' })).toEqual({
      tolerance: 0,
      rate: 2.5,
      minAgeMs: 500,
      forMs: 120_000,
    });
    expect(checkRebalanceTerms({ tolerance: '25', rate: '100/s' })).toMatchObject({ tolerance: 0.25, rate: 100 });
  });

  it.each([
    [{ tolerance: 'abc' }, '--tolerance: expected a percentage from 0% to under 100% such as 10%, got "abc"'],
    [{ tolerance: '150%' }, '--tolerance: expected a percentage from 0% to under 100% such as 10%, got "150%"'],
    [{ tolerance: '100%' }, '--tolerance: expected a percentage from 0% to under 100% such as 10%, got "100%"'],
    [{ tolerance: '-5%' }, '--tolerance: expected a percentage from 0% to under 100% such as 10%, got "-5%"'],
    [{ rate: '-1' }, '--rate: expected closes per second above 0 and at most 10000 such as 20/s, got "-1"'],
    [{ rate: '0/s' }, '--rate: expected closes per second above 0 and at most 10000 such as 20/s, got "0/s"'],
    [{ rate: 'fast' }, '--rate: expected closes per second above 0 and at most 10000 such as 20/s, got "fast"'],
    [{ rate: '1e9' }, '--rate: expected closes per second above 0 and at most 10000 such as 20/s, got "1e9"'],
    [{ minAge: 'soon' }, '--min-age: expected a duration such as 30s, 5m or 1h, got "soon"'],
    [{ minAge: '-1s' }, '--min-age: expected a duration such as 30s, 5m or 1h, got "-1s"'],
    [{ for: '0' }, '--for: expected a duration such as 30s, 5m or 1h above 0, got "0"'],
    [{ for: 'ever' }, '--for: expected a duration such as 30s, 5m or 1h above 0, got "ever"'],
  ])('refuses %j naming the flag', (input, message) => {
    expect(() => checkRebalanceTerms(input)).toThrow(
      expect.objectContaining({ code: 'MOORING_ERR_OPERATOR_INVALID_ARGUMENT', message }),
    );
  });
});
