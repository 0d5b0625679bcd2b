import type { Candidate } from '../core/backend.js';
import type { HashRing } from './hash-ring.js';

/** How a hash-mode session was placed: on the key's owner, or further along the ring. */
export type HashRoute = 'hash' | 'hash-overflow';

/** The backend chosen for a key. */
export interface HashPick {
  readonly backendId: string;
  /** `hash-overflow` when the owner (or owners before this one) was full under bounded load. */
  readonly route: HashRoute;
}

/** Options of `pickByHash`. */
export interface PickByHashOptions {
  /**
   * Bounded load: no backend takes more than `balanceFactor ×` its weighted share of the live
   * connections, counting the new one. Must be > 1 and is used in hundredths. HAProxy's
   * documentation of `hash-balance-factor` calls 125 to 200 (1.25 to 2) reasonable: lower
   * values balance better but walk further. Absent: plain consistent hashing.
   */
  readonly balanceFactor?: number;
}

/**
 * Places a session by consistent hashing of `key`, optionally with bounded load (Mirrokni,
 * Thorup, Zadimoghaddam, "Consistent Hashing with Bounded Loads", SODA 2018, arXiv:1608.01350):
 * walk the ring from the key's point and take the first backend that is not full.
 *
 * Only healthy, active candidates of positive weight count, and the caps are computed over
 * them. The ring may hold more members than that (it is built from the membership, and health
 * or draining does not rebuild it): a ring member that is not an eligible candidate is skipped,
 * which picks what a ring without that member would pick, because consistent hashing hands a
 * removed member's keys to its successors. Such a skip is still route `hash`.
 *
 * Returns undefined when no candidate is eligible, or when no ring member has room. Pure: the
 * caller counts the new connection once it commits to the pick. Throws a RangeError for a
 * `balanceFactor` ≤ 1, which config validation rejects first. This is the specification for any
 * candidates; a worker's router places with HashPlacement, which walks once for the pick and the
 * failover order over the pool's entries.
 */
export function pickByHash(
  ring: HashRing,
  key: string,
  candidates: readonly Candidate[],
  options: PickByHashOptions = {},
): HashPick | undefined {
  const factorPercent = options.balanceFactor === undefined ? undefined : toPercent(options.balanceFactor);
  const totals = factorPercent === undefined ? undefined : eligibleTotals(candidates);
  const find = candidateFinder(candidates);
  let overflowed = false;
  for (const id of ring.walk(key)) {
    const candidate = find(id);
    if (candidate === undefined) continue;
    if (totals !== undefined && isFull(candidate, totals, factorPercent!)) {
      overflowed = true;
      continue;
    }
    return { backendId: candidate.backend.id, route: overflowed ? 'hash-overflow' : 'hash' };
  }
  // Reached when nothing is eligible. With a fresh ring the caps sum to more than the total
  // load (see `capacity`), so some eligible member always has room.
  return undefined;
}

/**
 * Most live connections a backend may hold before it counts as full:
 * `ceil(F × (L + 1) × w / W)`. L is the live connections over the eligible candidates, the
 * "+ 1" counts the connection being placed, w is the backend's weight and W the total weight.
 * With equal weights this is the paper's `⌈(1+ε)·m/n⌉`. HAProxy's `chash_server_is_eligible`
 * (src/lb_chash.c) computes the same total `(served + 1) × factor / 100`, but splits it across
 * servers by weight so that the slots sum exactly. Rounding each cap up instead gives every
 * backend at least 1 and makes the caps sum to ≥ F × (L + 1) > L, so one backend always has
 * room and the walk ends.
 * F is taken in hundredths (HAProxy's granularity), so the arithmetic is on integers below
 * 2^53 and exact: 1.1 × 10 does not round up to a spurious 12.
 */
export function capacity(factorPercent: number, totalLive: number, weight: number, totalWeight: number): number {
  return Math.ceil((factorPercent * (totalLive + 1) * weight) / (100 * totalWeight));
}

/** A backend is full when taking one more connection would exceed its cap. */
function isFull(candidate: Candidate, totals: Totals, factorPercent: number): boolean {
  const cap = capacity(factorPercent, totals.live, candidate.backend.weight, totals.weight);
  return candidate.liveConnections + 1 > cap;
}

/** Converts a balance factor to hundredths, rejecting values that would not bound anything. */
export function toPercent(balanceFactor: number): number {
  const percent = Math.round(balanceFactor * 100);
  if (!Number.isFinite(balanceFactor) || percent <= 100) {
    throw new RangeError(`balanceFactor must be a number of at least 1.01, got ${balanceFactor}`);
  }
  return percent;
}

function isEligible(candidate: Candidate): boolean {
  return candidate.healthy && candidate.backend.state === 'active' && candidate.backend.weight > 0;
}

interface Totals {
  readonly live: number;
  readonly weight: number;
}

/** Live connections and weight summed over the eligible candidates. */
function eligibleTotals(candidates: readonly Candidate[]): Totals {
  let live = 0;
  let weight = 0;
  for (const candidate of candidates) {
    if (!isEligible(candidate)) continue;
    live += Math.max(0, candidate.liveConnections);
    weight += candidate.backend.weight;
  }
  return { live, weight };
}

/** Linear probes before an id → candidate map pays for itself (stale rings walk far). */
const linearProbes = 4;

/**
 * Finds the eligible candidate of a ring member. The walk usually stops at its first or second
 * member, so a scan of the array is cheaper than building a map for every decision. After a
 * few probes it builds one, so a long walk stays O(n) instead of O(n²).
 */
function candidateFinder(candidates: readonly Candidate[]): (id: string) => Candidate | undefined {
  let probes = 0;
  let byId: Map<string, Candidate> | undefined;
  return (id) => {
    if (byId === undefined && ++probes > linearProbes) {
      byId = new Map();
      for (const candidate of candidates) {
        if (isEligible(candidate) && !byId.has(candidate.backend.id)) byId.set(candidate.backend.id, candidate);
      }
    }
    if (byId !== undefined) return byId.get(id);
    return candidates.find((candidate) => candidate.backend.id === id && isEligible(candidate));
  };
}
