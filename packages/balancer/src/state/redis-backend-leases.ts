import type { BackendLease, LeaseOutcome } from './backend-lease.js';
import type { RedisKeys } from './redis-keys.js';
import { execPipeline, type RedisClient } from './redis-connection.js';
import {
  leaseBackendScript,
  purgeLapsedLeasesScript,
  putOperatorBackendScript,
  releaseBackendLeaseScript,
} from './redis-lease-scripts.js';
import { formatRegistryEntry } from './registry-entry.js';
import type { RegisteredBackend } from './state-store.js';

/*
 * Leased self-registration on Redis: the entry in the registry hash carries `lease.holder`, and
 * its lease is the key `{<prefix>:backends}:backend-lease:<id>` with the lease TTL (PX), in the
 * registry's slot. Every write is one script (redis-lease-scripts.ts), so a lapsed lease is never
 * renewed over an operator's entry that replaced it, nor an operator's write lost over a live one.
 */

const registryChanged = JSON.stringify({ type: 'registry-changed' });
const outcomes: readonly LeaseOutcome[] = ['created', 'renewed', 'operator', 'held'];

/** An operator's write: false (nothing written) while the id is held by a live lease. */
export async function putOperatorBackend(
  client: RedisClient,
  keys: RedisKeys,
  backend: RegisteredBackend,
): Promise<boolean> {
  const { lease: _ignored, ...entry } = backend;
  const value = formatRegistryEntry(entry);
  const args = [backend.id, value, keys.events(), registryChanged];
  return (await putOperatorBackendScript.run(client, [keys.backends(), keys.backendLease(backend.id)], args)) === 1;
}

export async function leaseBackend(
  client: RedisClient,
  keys: RedisKeys,
  backend: RegisteredBackend,
  lease: BackendLease,
): Promise<LeaseOutcome> {
  const value = formatRegistryEntry({ ...backend, state: 'active', lease });
  const script = [keys.backends(), keys.drains(), keys.health(), keys.backendLease(backend.id)];
  const args = [backend.id, lease.holder, lease.ttlMs, value, keys.events(), registryChanged];
  const outcome = String(await leaseBackendScript.run(client, script, args));
  if (!outcomes.includes(outcome as LeaseOutcome)) throw new Error(`lease script answered ${outcome}`);
  return outcome as LeaseOutcome;
}

export async function releaseBackendLease(
  client: RedisClient,
  keys: RedisKeys,
  id: string,
  holder: string,
): Promise<boolean> {
  const script = [keys.backends(), keys.drains(), keys.health(), keys.backendLease(id)];
  return (await releaseBackendLeaseScript.run(client, script, [id, holder, keys.events(), registryChanged])) === 1;
}

export async function purgeLapsedLeases(
  client: RedisClient,
  keys: RedisKeys,
  ids: readonly string[],
): Promise<string[]> {
  if (ids.length === 0) return [];
  const script = [keys.backends(), keys.drains(), keys.health(), ...ids.map((id) => keys.backendLease(id))];
  const removed = await purgeLapsedLeasesScript.run(client, script, [keys.events(), registryChanged, ...ids]);
  return Array.isArray(removed) ? removed.map(String) : [];
}

/**
 * Milliseconds left on the lease of each of `ids` (the leased entries of a registry read); an id
 * whose lease key is gone is left out: its lease lapsed. One pipeline in the registry's slot.
 */
export async function leaseRemaining(
  client: RedisClient,
  keys: RedisKeys,
  leased: readonly RegisteredBackend[],
): Promise<Map<string, number>> {
  const remaining = new Map<string, number>();
  if (leased.length === 0) return remaining;
  const pipeline = client.pipeline();
  for (const backend of leased) pipeline.pttl(keys.backendLease(backend.id));
  const answers = (await execPipeline(pipeline)) as number[];
  leased.forEach((backend, index) => {
    const pttl = Number(answers[index]);
    // -1: a key without a TTL (written by hand): alive, for as long as the lease says.
    if (pttl > 0) remaining.set(backend.id, pttl);
    else if (pttl === -1) remaining.set(backend.id, backend.lease?.ttlMs ?? 0);
  });
  return remaining;
}
