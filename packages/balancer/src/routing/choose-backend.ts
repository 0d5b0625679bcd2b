import type { Candidate } from '../core/backend.js';
import { LeastConnections } from './least-connections.js';
import { RoundRobinCycle } from './round-robin-cycle.js';

/** How a new, non-sticky session picks its backend. */
export type BalancePolicy = 'least-connections' | 'round-robin';

/**
 * Candidates that may take a new session: healthy and active. Draining backends keep their
 * live sessions but never get new ones.
 */
export function eligible(candidates: readonly Candidate[]): Candidate[] {
  return candidates.filter((candidate) => candidate.healthy && candidate.backend.state === 'active');
}

/**
 * Orders the eligible candidates best first, for one session: the first is the choice, the
 * rest are the failover order. Pure and read-only ("peek"): the caller advances `rotation`
 * only when it commits to the choice, so that asking never moves the scheduler (undici #4842).
 *
 * - least-connections: lowest live/weight first (HAProxy's leastconn); ties are broken by
 *   rotation, so an idle fleet still spreads new sessions instead of piling on the first id.
 * - round-robin: weighted rotation; a backend of weight w appears w times per cycle.
 *
 * The specification of the ranking, for any candidates in any order. The worker's router ranks
 * the pool's eligible set with the same pieces, built once per generation (BalancingRouter).
 */
export function rankCandidates(candidates: readonly Candidate[], policy: BalancePolicy, rotation: number): Candidate[] {
  const pool = eligible(candidates).sort((a, b) =>
    a.backend.id < b.backend.id ? -1 : a.backend.id > b.backend.id ? 1 : 0,
  );
  if (pool.length <= 1) return pool;
  const order: Candidate[] = [];
  if (policy === 'round-robin') new RoundRobinCycle(pool).orderInto(rotation, order);
  else new LeastConnections().rankInto(pool, rotation, order);
  return order;
}
