import { once } from 'node:events';
import { Cluster, type Redis } from 'ioredis';

/**
 * Deletes every key of one cluster prefix (`SCAN MATCH *<prefix>:*` finds them all, see
 * redis-keys.ts), on every master of a Redis Cluster: what a Redis restarted without persistence
 * looks like to that cluster, without disturbing the other tests' prefixes on the same server.
 */
export async function wipePrefix(client: Redis | Cluster, prefix: string): Promise<void> {
  if (!(client instanceof Cluster)) return wipeOn(client, client, prefix);
  // Until the slot map is in, `nodes('master')` would still list the seeds, replicas included.
  if (client.status !== 'ready') await once(client, 'ready');
  await Promise.all(client.nodes('master').map((server) => wipeOn(server, client, prefix)));
}

/** SCANs one server; deletes through `client`, which sends each key to its slot's master. */
async function wipeOn(server: Redis, client: Redis | Cluster, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await server.scan(cursor, 'MATCH', `*${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    // One DEL per key: on a cluster, keys of different slots cannot share a command.
    await Promise.all(keys.map((key) => client.del(key)));
  } while (cursor !== '0');
}
