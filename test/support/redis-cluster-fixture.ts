import { randomBytes } from 'node:crypto';
import { runMooring, startMooringNode, startRedisServer, type MooringNode } from '@mooring/testkit';

/**
 * A Redis of any topology as the nodes and the CLI reach it: a standalone `redis-server`, a
 * Sentinel group or a Redis Cluster from testkit (their `url`), and the flags that go with it
 * (`--redis-sentinel-password`…), passed to every node and every operator command.
 */
export interface SharedRedis {
  readonly url: string;
  readonly flags?: readonly string[];
}

/** Node flags that make the shared-state timings fast enough to test without long waits. */
export const fastStateArgs = [
  '--heartbeat-interval',
  '300ms',
  '--health-interval',
  '300ms',
  '--health-path',
  '/health',
  '--health-rise',
  '2',
  '--health-fall',
  '2',
];

/** A fresh key prefix, so tests sharing one Redis never see each other's keys. */
export function uniquePrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

/** Starts a node on the shared state of `redis` under `prefix`. */
export function startSharedNode(
  redis: SharedRedis,
  prefix: string,
  nodeId: string,
  args: string[] = [],
  workers = 2,
): Promise<MooringNode> {
  return startMooringNode({
    workers,
    args: [
      ...['--redis', redis.url, ...(redis.flags ?? []), '--prefix', prefix, '--node-id', nodeId],
      ...fastStateArgs,
      ...args,
    ],
  });
}

/** Runs an operator command against the shared state and parses its `--json` output. */
export async function mooringJson<T>(redis: SharedRedis, prefix: string, args: string[]): Promise<T> {
  const result = await runMooring([
    ...args,
    '--redis',
    redis.url,
    ...(redis.flags ?? []),
    '--prefix',
    prefix,
    '--json',
  ]);
  if (result.code !== 0) throw new Error(`mooring ${args.join(' ')} exited ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}

export { startRedisServer };
