import { describe, expect, it } from 'vitest';
import type { Backend, Candidate } from '../../src/core/backend.js';
import { BackendPool } from '../../src/routing/backend-pool.js';
import { BalancingRouter } from '../../src/routing/balancing-router.js';
import { CandidateOrder } from '../../src/routing/candidate-order.js';
import { rankCandidates, type BalancePolicy } from '../../src/routing/choose-backend.js';
import { backends } from '../fixtures/routing-keys.js';

const ids = (order: readonly Candidate[] | CandidateOrder): string[] =>
  (order instanceof CandidateOrder ? order.toArray() : order).map((candidate) => candidate.backend.id);

function router(policy: BalancePolicy, members: readonly Backend[]): { pool: BackendPool; router: BalancingRouter } {
  const pool = new BackendPool();
  pool.setBackends(members);
  return { pool, router: new BalancingRouter(pool, policy) };
}

describe('BalancingRouter', () => {
  it.each<BalancePolicy>(['least-connections', 'round-robin'])(
    '%s: orders exactly as rankCandidates does, rotation after rotation',
    (policy) => {
      const members = backends('c', ['a', 2], 'd', ['b', 3]);
      const { pool, router: balancer } = router(policy, members);
      for (let rotation = 0; rotation < 20; rotation++) {
        if (rotation % 3 === 0) pool.acquire(members[rotation % 4]!.id);
        const expected = ids(rankCandidates(pool.candidates(), policy, rotation));
        expect(ids(balancer.peek())).toEqual(expected);
        expect(ids(balancer.pick())).toEqual(expected);
      }
    },
  );

  it('peek never moves the rotation; pick does', () => {
    const { router: balancer } = router('round-robin', backends('a', 'b', 'c'));
    expect(ids(balancer.peek())).toEqual(['a', 'b', 'c']);
    expect(ids(balancer.peek())).toEqual(['a', 'b', 'c']);
    expect(ids(balancer.pick())).toEqual(['a', 'b', 'c']);
    expect(ids(balancer.pick())).toEqual(['b', 'c', 'a']);
  });

  it.each<BalancePolicy>(['least-connections', 'round-robin'])(
    '%s: puts a pinned backend first and the others in their order without it',
    (policy) => {
      const { pool, router: balancer } = router(policy, backends('a', 'b', 'c', 'd'));
      pool.acquire('a');
      const pinned = pool.routable().eligibleById.get('c')!;
      const rest = ids(balancer.peek()).filter((id) => id !== 'c');
      expect(ids(balancer.peek(pinned))).toEqual(['c', ...rest]);
    },
  );

  it('follows the pool: a new generation gets a new round-robin cycle', () => {
    const { pool, router: balancer } = router('round-robin', backends('a', 'b'));
    expect(ids(balancer.peek())).toEqual(['a', 'b']);
    pool.setBackends(backends(['a', 1], ['b', 3]));
    const firsts = Array.from({ length: 4 }, () => balancer.pick().first!.backend.id);
    expect(firsts).toEqual(['a', 'b', 'b', 'b']);
  });
});
