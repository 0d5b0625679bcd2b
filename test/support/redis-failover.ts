import { performance } from 'node:perf_hooks';
import {
  openRecordingClient,
  requestText,
  runMooring,
  type MooringNode,
  type MooringRunResult,
  type RecordingClient,
} from '@mooring/testkit';
import { mooringJson, type SharedRedis } from './redis-cluster-fixture.js';

/** Runs an operator command against `redis` (its URL and flags) under `prefix`. */
export function cliOn(redis: SharedRedis, prefix: string, args: string[]): Promise<MooringRunResult> {
  return runMooring([...args, '--redis', redis.url, ...(redis.flags ?? []), '--prefix', prefix]);
}

/** Live sessions per backend, cluster-wide, as `mooring backend list --json` reports them (zeros left out). */
export async function liveByBackend(redis: SharedRedis, prefix: string): Promise<Record<string, number>> {
  const { backends } = await mooringJson<{ backends: { id: string; live: number }[] }>(redis, prefix, [
    'backend',
    'list',
  ]);
  return Object.fromEntries(backends.filter((row) => row.live > 0).map((row) => [row.id, row.live]));
}

/** What liveByBackend must converge to for these clients: how many are open on each backend. */
export function countsOf(clients: readonly RecordingClient[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const client of clients) {
    const backend = String(client.upgradeHeaders['x-backend']);
    counts[backend] = (counts[backend] ?? 0) + 1;
  }
  return counts;
}

/** Opens `count` WebSockets spread over `nodes` in turn. */
export async function openClients(nodes: readonly MooringNode[], count: number): Promise<RecordingClient[]> {
  const clients: RecordingClient[] = [];
  for (let i = 0; i < count; i++) clients.push(await openRecordingClient(`${nodes[i % nodes.length]!.wsUrl}/`));
  return clients;
}

/** Every client answers an echo: its tunnel, its backend and its node all still work. */
export async function echoAll(clients: readonly RecordingClient[]): Promise<void> {
  await Promise.all(
    clients.map(async (client, index) => {
      const text = `still here ${index}`;
      const reply = await client.request(text);
      if (reply !== text) throw new Error(`client ${index} got ${String(reply)}`);
    }),
  );
}

/** A node's own word on whether it routes from its last known state (`/readyz`). */
export async function isDegraded(node: MooringNode): Promise<boolean> {
  const response = await requestText(`${node.adminUrl}/readyz`);
  return (JSON.parse(response.body) as { degraded: boolean }).degraded;
}

/**
 * Samples `/readyz` of each node every 100 ms (monotonic clock) until `stop()`, and reports per
 * node when it was first and last seen degraded: how long an outage kept it degraded is measured
 * from what the node said, never from a sleep.
 */
export function watchDegraded(nodes: readonly MooringNode[]): {
  stop(): Promise<Array<{ first: number; last: number } | undefined>>;
} {
  const seen: Array<{ first: number; last: number } | undefined> = nodes.map(() => undefined);
  let running = true;
  const sample = async (): Promise<void> => {
    while (running) {
      await Promise.all(
        nodes.map(async (node, index) => {
          if (!(await isDegraded(node).catch(() => false))) return;
          const now = performance.now();
          seen[index] = { first: seen[index]?.first ?? now, last: now };
        }),
      );
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const sampling = sample();
  return {
    async stop() {
      running = false;
      await sampling;
      return seen;
    },
  };
}
