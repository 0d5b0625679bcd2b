import type { Candidate } from '../core/backend.js';

/**
 * Whether one more session on `pinned` would take it above its weighted share of the sessions
 * of the eligible backends (that share rounded up, counting the new session): what a node held
 * by a rebalance asks before honouring a sticky cookie, so that a client moved off an over-loaded
 * backend does not come straight back to it. Pure; reads the candidates' live counts.
 */
export function aboveShare(pinned: Candidate, eligible: readonly Candidate[]): boolean {
  let total = 1;
  let weights = 0;
  for (const candidate of eligible) {
    total += candidate.liveConnections;
    weights += candidate.backend.weight;
  }
  if (weights <= 0) return false;
  const share = (total * pinned.backend.weight) / weights;
  return pinned.liveConnections + 1 > Math.ceil(share - 1e-9);
}
