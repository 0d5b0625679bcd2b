/**
 * Leased self-registration (`mooring backend announce`): a registry entry that lives only as long
 * as its announcer keeps a lease alive. Pure: the rules both stores follow (the Redis one in Lua,
 * redis-lease-scripts.ts), with no I/O and no clock.
 */

/** The lease part of a registry entry (`"lease": {"holder", "ttlMs"}` in its JSON). */
export interface BackendLease {
  /** Random per announcer process: who may renew and release it. */
  readonly holder: string;
  /** The lease's length; renewed at a third of it. Kept so a re-seed can give the lease back. */
  readonly ttlMs: number;
}

/** The bounds of `--ttl`: long beside a round trip to Redis, short beside an autoscaling event. */
export const leaseTtlBounds = { minMs: 1_000, maxMs: 3_600_000 } as const;

/**
 * What an announce or a renewal did:
 * - `created`: the entry is written (it was absent, or another announcer's lease had lapsed).
 * - `renewed`: the entry was this holder's; its lease runs for a full TTL again, the entry (its
 *   state: a drain in progress) untouched.
 * - `operator`: an operator registered the id (`backend add`, a raw HSET): nothing changed.
 * - `held`: another announcer holds a live lease on the id: nothing changed.
 */
export type LeaseOutcome = 'created' | 'renewed' | 'operator' | 'held';

/** What a store knows of one id when a holder announces it. */
export interface LeaseSituation {
  /** Whether the registry has an entry for the id (a malformed one counts as an operator's). */
  readonly registered: boolean;
  /** The holder named by the entry's lease; undefined for an operator entry (or none). */
  readonly holder: string | undefined;
  /** Whether the id's lease has not expired. */
  readonly leaseAlive: boolean;
}

/** The outcome of `holder` announcing an id in `situation`; the Lua script decides the same way. */
export function judgeAnnounce(situation: LeaseSituation, holder: string): LeaseOutcome {
  if (!situation.registered) return 'created';
  if (situation.holder === undefined) return 'operator';
  if (situation.holder === holder) return 'renewed';
  return situation.leaseAlive ? 'held' : 'created';
}

/**
 * Whether an operator's write (`backend add`) of an id must be refused: only while an announcer's
 * lease on it is alive. A lapsed lease's entry is an operator's to take over.
 */
export function operatorWriteRefused(situation: LeaseSituation): boolean {
  return situation.registered && situation.holder !== undefined && situation.leaseAlive;
}

/** A lease as found in registry JSON, or a reason it is not one (the entry is then malformed). */
export function parseLease(value: unknown): BackendLease | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'lease: expected an object';
  const { holder, ttlMs, ...rest } = value as Record<string, unknown>;
  const unknownKey = Object.keys(rest)[0];
  if (unknownKey !== undefined) return `lease: unknown key ${JSON.stringify(unknownKey)}`;
  if (typeof holder !== 'string' || holder === '' || holder.length > 200) return 'lease.holder: expected a string';
  if (typeof ttlMs !== 'number' || !Number.isSafeInteger(ttlMs) || ttlMs < 1) {
    return 'lease.ttlMs: expected a positive whole number of milliseconds';
  }
  return { holder, ttlMs };
}
