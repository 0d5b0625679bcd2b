import type { PoolEntry } from './pool-entry.js';

/**
 * What routing reads of a pool, one immutable object per generation: the pool replaces it only
 * when a membership, weight, state or health change alters it, so a router caches whatever it
 * derives (hash ring, round-robin cycle) under `generation` and rebuilds only then, instead of
 * comparing a signature of the set on every request.
 */
export interface RoutableSet {
  /** Bumped whenever `eligible` or `membership` changes. */
  readonly generation: number;
  /** Bumped whenever the ids or weights change: what a hash ring is built from. */
  readonly membership: number;
  /** Every backend (draining and unhealthy ones too), sorted by id in code unit order. */
  readonly all: readonly PoolEntry[];
  /** The backends that take new sessions (healthy and active), sorted by id. */
  readonly eligible: readonly PoolEntry[];
  /** `eligible` by id. */
  readonly eligibleById: ReadonlyMap<string, PoolEntry>;
}

/** Sorts entries by id in UTF-16 code unit order (never locale order, which varies by host). */
export function byId(a: PoolEntry, b: PoolEntry): number {
  const x = a.backend.id;
  const y = b.backend.id;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Whether two sorted entry lists hold the same entries. */
export function sameEntries(a: readonly PoolEntry[], b: readonly PoolEntry[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
