import type { RegisteredBackend, RegistrySnapshot } from '../state/state-store.js';

/** A registry read split by its leases (see {@link liveRegistry}). */
export interface LiveRegistry {
  /** The read without the lapsed leased entries: what a node applies and would re-seed. */
  readonly live: RegistrySnapshot;
  /** Ids of leased entries whose lease lapsed: absent for new sessions, to be purged. */
  readonly lapsed: readonly string[];
  /** Milliseconds until the first live lease runs out unrenewed; undefined when none is leased. */
  readonly nextExpiryMs: number | undefined;
}

/**
 * Splits a registry read by the leases read with it (`leases`: id → milliseconds left): an
 * operator's entry is always live, a leased one only while its lease is. Pure: no I/O, no clock.
 */
export function liveRegistry(registry: RegistrySnapshot, leases: ReadonlyMap<string, number>): LiveRegistry {
  const backends: RegisteredBackend[] = [];
  const lapsed: string[] = [];
  let nextExpiryMs: number | undefined;
  for (const backend of registry.backends) {
    const left = backend.lease ? leases.get(backend.id) : undefined;
    if (backend.lease && left === undefined) {
      lapsed.push(backend.id);
      continue;
    }
    backends.push(backend);
    if (left !== undefined) nextExpiryMs = Math.min(nextExpiryMs ?? left, left);
  }
  return { live: { backends, malformed: registry.malformed }, lapsed, nextExpiryMs };
}
