import { legacyKeys, type RedisKeys } from './redis-keys.js';
import { execPipeline, type RedisClient } from './redis-connection.js';

/** Fields moved from the layout before Redis Cluster support, per hash. */
export interface LegacyMigration {
  readonly drains: number;
  readonly health: number;
}

/**
 * The layout before Redis Cluster support kept drains and health in `<prefix>:drains` and
 * `<prefix>:health`; this version keeps them in the registry's slot (`{<prefix>:backends}:drains`,
 * see redis-keys.ts). A node moves them once, at its start, so that a drain in progress survives
 * the upgrade: each field is copied where the new hash lacks it (HSETNX: what this version wrote
 * wins), then the old key is deleted. Idempotent, and harmless when several nodes start at once.
 * The old nodes index and leases are not moved: they expire within seconds on their own, and
 * every node re-announces itself at its next heartbeat.
 */
export async function migrateLegacyLayout(client: RedisClient, keys: RedisKeys): Promise<LegacyMigration> {
  const legacy = legacyKeys(keys.prefix);
  const [drains, health] = await Promise.all([
    moveHash(client, legacy.drains, keys.drains()),
    moveHash(client, legacy.health, keys.health()),
  ]);
  return { drains, health };
}

/** Copies `from` into `to` without overwriting, then deletes `from`; resolves with the fields copied. */
async function moveHash(client: RedisClient, from: string, to: string): Promise<number> {
  // Separate commands, never one pipeline: the two keys live in different slots.
  const fields = await client.hgetall(from);
  const entries = Object.entries(fields);
  if (entries.length === 0) return 0;
  const pipeline = client.pipeline();
  for (const [field, value] of entries) pipeline.hsetnx(to, field, value);
  await execPipeline(pipeline);
  await client.del(from);
  return entries.length;
}
