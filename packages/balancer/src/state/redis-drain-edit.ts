import type { RedisKeys } from './redis-keys.js';
import { execPipeline, type RedisClient } from './redis-connection.js';
import { setDrainScript } from './redis-scripts.js';
import { formatRegistryEntry, isMalformed, parseRegistryEntry } from './registry-entry.js';
import { decodeDrainRecord } from './state-codec.js';
import { StateError } from './state-error.js';
import type { DrainRecord, RegisteredBackend } from './state-store.js';

/** How often a drain update is tried again when its backend changed under it (practically never twice). */
const maxEditAttempts = 5;

/** What a drain update writes: the registry state, the drain terms (none: removed), and what it resolves with. */
export interface DrainEdit<T> {
  readonly state: RegisteredBackend['state'];
  readonly drain: DrainRecord | undefined;
  readonly result: T;
}

/**
 * Reads a backend's entry and drain, then writes both and announces the change in one script
 * (setDrainScript). The script refuses when a field changed after the read (an operator's
 * `backend add` or a second drain meanwhile); the edit is then made again on what is there
 * now, so a concurrent change is never overwritten with a stale copy. Both keys share the
 * registry's slot (redis-keys.ts), so this runs on Redis Cluster too.
 */
export async function editDrain<T>(
  client: RedisClient,
  keys: RedisKeys,
  id: string,
  unregistered: T,
  edit: (drain: DrainRecord | undefined) => DrainEdit<T>,
): Promise<T> {
  const backends = keys.backends();
  const drains = keys.drains();
  for (let attempt = 1; ; attempt += 1) {
    const read = await execPipeline(client.pipeline().hget(backends, id).hget(drains, id));
    const [entryText, drainText] = read as (string | null)[];
    // A malformed entry is no backend to the nodes either.
    const entry = entryText == null ? undefined : parseRegistryEntry(id, entryText);
    if (entryText == null || !entry || isMalformed(entry)) return unregistered;
    const change = edit(drainText == null ? undefined : decodeDrainRecord(drainText));
    const args = [
      id,
      entryText,
      drainText ?? '',
      formatRegistryEntry({ ...entry, state: change.state }),
      change.drain ? JSON.stringify(change.drain) : '',
      keys.events(),
      JSON.stringify({ type: 'registry-changed' }),
    ];
    if ((await setDrainScript.run(client, [backends, drains], args)) === 1) return change.result;
    if (attempt === maxEditAttempts) {
      const message = `backend ${JSON.stringify(id)} kept changing during a drain update`;
      throw new StateError('MOORING_ERR_STATE_UNAVAILABLE', message);
    }
  }
}
