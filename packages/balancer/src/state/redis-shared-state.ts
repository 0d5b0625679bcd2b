import { leaseRemaining } from './redis-backend-leases.js';
import type { RedisKeys } from './redis-keys.js';
import { execPipeline, type RedisClient } from './redis-connection.js';
import { claimMarkerScript, reseedScript } from './redis-scripts.js';
import { formatRegistryEntry, isMalformed, parseRegistryEntry } from './registry-entry.js';
import { compareText, decodeDrainRecord, decodeStateMarker } from './state-codec.js';
import type {
  DrainRecord,
  MalformedEntry,
  RegisteredBackend,
  RegistrySnapshot,
  SharedSnapshot,
  StateMarker,
  StateSeed,
} from './state-store.js';

/*
 * The cluster-wide part of the state that a node applies and, after a data loss, re-seeds: the
 * registry, the drains and the marker. All of them share the registry's slot (redis-keys.ts), so
 * each operation here is one atomic step on a standalone Redis, through Sentinel and on a Cluster.
 */

/** Each field of the registry hash parsed on its own: one malformed entry never hides the others. */
export function parseRegistry(fields: Record<string, string>): RegistrySnapshot {
  const backends: RegisteredBackend[] = [];
  const malformed: MalformedEntry[] = [];
  for (const id of Object.keys(fields).sort(compareText)) {
    const entry = parseRegistryEntry(id, fields[id] ?? '');
    if (isMalformed(entry)) malformed.push(entry);
    else backends.push(entry);
  }
  return { backends, malformed };
}

/** The drains hash decoded; undecodable terms are left out. */
export function parseDrains(fields: Record<string, string>): Map<string, DrainRecord> {
  const drains = new Map<string, DrainRecord>();
  for (const [id, text] of Object.entries(fields)) {
    const record = decodeDrainRecord(text);
    if (record) drains.set(id, record);
  }
  return drains;
}

/**
 * Registry, drains and marker in one MULTI: a registry read is never paired with another moment's
 * marker. The leases of the leased entries follow in a second round trip (their keys are known
 * only once the registry is read); a lease that lapses in between reads as lapsed.
 */
export async function readShared(client: RedisClient, keys: RedisKeys): Promise<SharedSnapshot> {
  const transaction = client.multi().hgetall(keys.backends()).hgetall(keys.drains()).get(keys.marker());
  const [registry, drains, marker] = (await execPipeline(transaction)) as [
    Record<string, string>,
    Record<string, string>,
    string | null,
  ];
  const parsed = parseRegistry(registry);
  return {
    registry: parsed,
    drains: parseDrains(drains),
    marker: marker === null ? undefined : decodeStateMarker(marker),
    leases: await leaseRemaining(
      client,
      keys,
      parsed.backends.filter((backend) => backend.lease),
    ),
  };
}

export async function claimMarker(client: RedisClient, keys: RedisKeys, marker: StateMarker): Promise<StateMarker> {
  const inForce = await claimMarkerScript.run(client, [keys.marker()], [JSON.stringify(marker)]);
  return decodeStateMarker(String(inForce));
}

export async function reseed(
  client: RedisClient,
  keys: RedisKeys,
  seed: StateSeed,
  marker: StateMarker,
  expected: string | undefined,
): Promise<boolean> {
  const events = [JSON.stringify({ type: 'registry-changed' }), JSON.stringify({ type: 'health-changed' })];
  const args: (string | number)[] = [
    expected ?? '',
    JSON.stringify(marker),
    keys.events(),
    ...events,
    String(seed.backends.length),
  ];
  const script = [keys.marker(), keys.backends(), keys.drains(), keys.health()];
  for (const backend of seed.backends) {
    const drain = backend.state === 'draining' ? seed.drains.get(backend.id) : undefined;
    const { lease } = backend;
    args.push(backend.id, formatRegistryEntry(backend), drain ? JSON.stringify(drain) : '');
    args.push(lease?.holder ?? '', lease?.ttlMs ?? 0);
    // A leased backend's lease key comes back with it, for one TTL: see reseedScript.
    if (lease) script.push(keys.backendLease(backend.id));
  }
  for (const [backend, record] of seed.health) args.push(backend, JSON.stringify(record));
  return (await reseedScript.run(client, script, args.map(String))) === 1;
}
