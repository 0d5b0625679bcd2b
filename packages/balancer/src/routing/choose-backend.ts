import type { Candidate } from '../core/backend.js';

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
 */
export function rankCandidates(candidates: readonly Candidate[], policy: BalancePolicy, rotation: number): Candidate[] {
  const pool = eligible(candidates).sort((a, b) =>
    a.backend.id < b.backend.id ? -1 : a.backend.id > b.backend.id ? 1 : 0,
  );
  if (pool.length <= 1) return pool;
  return policy === 'round-robin' ? rankRoundRobin(pool, rotation) : rankLeastConnections(pool, rotation);
}

function rankLeastConnections(pool: Candidate[], rotation: number): Candidate[] {
  const offset = rotation % pool.length;
  const rotated = pool.map((candidate, index) => ({ candidate, turn: (index - offset + pool.length) % pool.length }));
  rotated.sort((a, b) => load(a.candidate) - load(b.candidate) || a.turn - b.turn);
  return rotated.map((entry) => entry.candidate);
}

function load(candidate: Candidate): number {
  return candidate.liveConnections / candidate.backend.weight;
}

function rankRoundRobin(pool: Candidate[], rotation: number): Candidate[] {
  const cycle = weightedCycle(pool);
  const start = rotation % cycle.length;
  const order: Candidate[] = [];
  for (let step = 0; step < cycle.length && order.length < pool.length; step++) {
    const candidate = cycle[(start + step) % cycle.length]!;
    if (!order.includes(candidate)) order.push(candidate);
  }
  return order;
}

/**
 * Interleaves candidates by weight (a: 2, b: 1 → a b a) so heavy backends are not served in
 * bursts: round r takes every candidate whose weight exceeds r.
 */
function weightedCycle(pool: Candidate[]): Candidate[] {
  const cycle: Candidate[] = [];
  const rounds = Math.max(...pool.map((candidate) => candidate.backend.weight));
  for (let round = 0; round < rounds; round++) {
    for (const candidate of pool) if (candidate.backend.weight > round) cycle.push(candidate);
  }
  return cycle;
}
