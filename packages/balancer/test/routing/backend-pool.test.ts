import { describe, expect, it } from 'vitest';
import { BackendPool } from '../../src/routing/backend-pool.js';

const backends = [
  { id: 'a', url: 'http://127.0.0.1:1', weight: 1, state: 'active' as const },
  { id: 'b', url: 'http://127.0.0.1:2', weight: 1, state: 'active' as const },
];

describe('BackendPool', () => {
  it('counts live sessions and keeps them across membership updates', () => {
    const pool = new BackendPool();
    pool.setBackends(backends);
    pool.acquire('a');
    pool.acquire('a');
    pool.release('a');
    pool.setBackends([...backends, { id: 'c', url: 'http://127.0.0.1:3', weight: 1, state: 'active' }]);
    expect(pool.candidates().map((c) => [c.backend.id, c.liveConnections])).toEqual([
      ['a', 1],
      ['b', 0],
      ['c', 0],
    ]);
    pool.release('b');
    expect(pool.live('b')).toBe(0);
  });

  it('passes over a failed backend for a doubling penalty, until it answers again', () => {
    let now = 1_000;
    const pool = new BackendPool({ now: () => now });
    pool.setBackends(backends);
    pool.reportFailure('a');
    expect(pool.candidates().find((c) => c.backend.id === 'a')?.healthy).toBe(false);
    now += 1_000;
    expect(pool.candidates().find((c) => c.backend.id === 'a')?.healthy).toBe(true);
    pool.reportFailure('a');
    now += 1_500;
    expect(pool.candidates().find((c) => c.backend.id === 'a')?.healthy).toBe(false);
    pool.reportSuccess('a');
    expect(pool.candidates().find((c) => c.backend.id === 'a')?.healthy).toBe(true);
  });

  it('offers every backend when all of them have failed, rather than none', () => {
    const pool = new BackendPool({ now: () => 0 });
    pool.setBackends(backends);
    pool.reportFailure('a');
    pool.reportFailure('b');
    expect(pool.candidates().every((c) => c.healthy)).toBe(true);
  });

  it('adds the worker’s own opens and closes since the last cluster snapshot to it', () => {
    const pool = new BackendPool();
    pool.setBackends(backends);
    pool.acquire('a');
    pool.acquire('b');
    const counted = new Map([
      ['a', 1],
      ['b', 1],
    ]);
    pool.setClusterCounts(
      new Map([
        ['a', 10],
        ['b', 4],
      ]),
      counted,
    );
    pool.acquire('a'); // opened since the snapshot: not in it yet
    pool.release('b'); // closed since the snapshot: still in it
    expect(pool.candidates().map((c) => [c.backend.id, c.liveConnections])).toEqual([
      ['a', 11],
      ['b', 3],
    ]);
  });

  it('counts the sessions it opened that the snapshot had not heard of when it was taken', () => {
    const pool = new BackendPool();
    pool.setBackends(backends);
    // Two opened here, one of them reported to the primary before it read the counts.
    pool.acquire('a');
    pool.acquire('a');
    pool.setClusterCounts(new Map([['a', 5]]), new Map([['a', 1]]));
    expect(pool.candidates().map((c) => [c.backend.id, c.liveConnections])).toEqual([
      ['a', 6],
      ['b', 0],
    ]);
  });

  it('takes backends the shared health check holds down out of the healthy set', () => {
    const pool = new BackendPool();
    pool.setBackends(backends);
    pool.setUnhealthy(new Set(['b']));
    expect(pool.candidates().map((c) => [c.backend.id, c.healthy])).toEqual([
      ['a', true],
      ['b', false],
    ]);
    pool.setBackends([...backends, { id: 'c', url: 'http://127.0.0.1:3', weight: 1, state: 'active' }]);
    expect(pool.candidates().find((c) => c.backend.id === 'b')?.healthy).toBe(false);
  });

  it('reports every passive failure to its listener', () => {
    const failures: string[] = [];
    const pool = new BackendPool({ onFailure: (id) => failures.push(id) });
    pool.setBackends(backends);
    pool.reportFailure('a');
    pool.reportFailure('zzz');
    expect(failures).toEqual(['a']);
  });

  it('keeps one routable generation while only live counts change, and lists the eligible by id', () => {
    const pool = new BackendPool();
    pool.setBackends([...backends].reverse());
    const view = pool.routable();
    pool.acquire('a');
    pool.release('b');
    pool.setClusterCounts(new Map([['a', 3]]), new Map([['a', 1]]));
    expect(pool.routable()).toBe(view);
    expect(view.eligible.map((entry) => [entry.backend.id, entry.liveConnections])).toEqual([
      ['a', 3],
      ['b', 0],
    ]);
    pool.setBackends([...backends].reverse());
    expect(pool.routable()).toBe(view);
  });

  it('starts a new generation on a failure, a recovery, a verdict, a drain and the end of a penalty', () => {
    let now = 0;
    const pool = new BackendPool({ now: () => now });
    pool.setBackends(backends);
    const seen = [pool.routable().generation];
    const eligibleIds = (): string[] => pool.routable().eligible.map((entry) => entry.backend.id);
    pool.reportFailure('a');
    seen.push(pool.routable().generation);
    expect(eligibleIds()).toEqual(['b']);
    now += 1_000; // the first penalty is over: no call of the pool told it so
    seen.push(pool.routable().generation);
    expect(eligibleIds()).toEqual(['a', 'b']);
    pool.reportFailure('a');
    pool.reportSuccess('a');
    expect(eligibleIds()).toEqual(['a', 'b']);
    pool.setUnhealthy(new Set(['b']));
    seen.push(pool.routable().generation);
    pool.setBackends([backends[0]!, { ...backends[1]!, state: 'draining' }]);
    expect(eligibleIds()).toEqual(['a']);
    pool.setBackends([backends[0]!, { ...backends[1]!, weight: 2 }]);
    seen.push(pool.routable().generation);
    expect(new Set(seen).size).toBe(seen.length);
    expect(pool.routable().membership).toBeGreaterThan(1);
  });
});
