import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestkitError } from '../errors/testkit-error.js';
import { findClusterPort } from './cluster-ports.js';
import { isRunning, spawnRedisChild, stopRedisChild } from './redis-child.js';
import { redisCli, redisInfo, type RedisCliOptions } from './redis-cli.js';
import { parseClusterNodes, type ClusterNodeLine } from './cluster-nodes.js';

/** Options of {@link startRedisCluster}. */
export interface StartRedisClusterOptions {
  /** Masters sharing the 16384 slots; default 3 (Redis Cluster's minimum). */
  readonly masters?: number;
  /** Replicas of each master; default 1. */
  readonly replicasPerMaster?: number;
  /** `cluster-node-timeout`: how long a silent master takes to be failed over; default 1000 ms. */
  readonly nodeTimeoutMs?: number;
  /** `requirepass` (and `masterauth`) of every node; absent: none. */
  readonly password?: string;
}

/** A Redis Cluster of `redis-server` children owned by the test, on free ports, without persistence. */
export interface RedisCluster {
  /** `redis+cluster://[:password@]127.0.0.1:P1,127.0.0.1:P2,…`, every member as a seed. */
  readonly url: string;
  /** Client ports of every member, in start order. */
  readonly ports: readonly number[];
  readonly password: string | undefined;
  /** Whether the member on `port` runs. */
  isRunning(port: number): boolean;
  /** `CLUSTER NODES` as a live member sees it now. */
  nodes(): Promise<ClusterNodeLine[]>;
  /** Ports of the masters that serve slots now. */
  masters(): Promise<number[]>;
  /** The master serving `key` now. */
  masterOf(key: string): Promise<number>;
  /** Kills a member with SIGKILL (a crash); its slots move to its replica after the node timeout. */
  kill(port: number): Promise<void>;
  /** Starts a killed member again on its port and nodes.conf: it rejoins, as a replica when it was failed over. */
  restart(port: number): Promise<void>;
  /**
   * Resolves once every running member says `cluster_state:ok`, every slot is served by a running
   * master, and every other running member is a replica whose link to its master is up. Rejects
   * after `timeoutMs`.
   */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Stops every member and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a real Redis Cluster: `masters × (1 + replicasPerMaster)` redis-servers with
 * `--cluster-enabled yes`, each with its nodes.conf in a temporary directory, joined by
 * `redis-cli --cluster create … --cluster-replicas N --cluster-yes`, and resolves once it is
 * healthy. Replicas take over whatever their data (`cluster-replica-validity-factor 0`), so a
 * kill always ends in a failover within the node timeout.
 */
export async function startRedisCluster(options: StartRedisClusterOptions = {}): Promise<RedisCluster> {
  const masters = options.masters ?? 3;
  const size = masters * (1 + (options.replicasPerMaster ?? 1));
  const dir = await mkdtemp(join(tmpdir(), 'mooring-cluster-'));
  const members = new Map<number, ChildProcess | undefined>();
  const cli: RedisCliOptions = { password: options.password };
  const spawnMember = (port: number): Promise<ChildProcess> =>
    spawnRedisChild(port, memberArgs(port, dir, options.nodeTimeoutMs ?? 1_000, options.password));
  const cluster = clusterHandle({ dir, members, cli, spawnMember, password: options.password });
  try {
    for (let index = 0; index < size; index += 1) {
      const [port, child] = await startMember(spawnMember);
      members.set(port, child);
    }
    const addresses = [...members.keys()].map((port) => `127.0.0.1:${port}`);
    const replicas = String(options.replicasPerMaster ?? 1);
    const create = ['--cluster', 'create', ...addresses, '--cluster-replicas', replicas, '--cluster-yes'];
    const created = await redisCli([...members.keys()][0]!, create, { ...cli, timeoutMs: 30_000 });
    if (!created.includes('[OK] All 16384 slots covered')) {
      throw new TestkitError('TESTKIT_ERR_REDIS_START', `redis-cli --cluster create failed:\n${created}`);
    }
    await cluster.waitHealthy(20_000);
    return cluster;
  } catch (err) {
    await cluster.stop();
    throw err;
  }
}

/** Picks a port pair and starts a member on it, trying other ports when one was taken meanwhile. */
async function startMember(spawnMember: (port: number) => Promise<ChildProcess>): Promise<[number, ChildProcess]> {
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const port = await findClusterPort();
    try {
      return [port, await spawnMember(port)];
    } catch (err) {
      lastError = err;
      if ((err as { spawnCode?: string }).spawnCode === 'ENOENT') break;
    }
  }
  throw lastError;
}

function memberArgs(port: number, dir: string, nodeTimeoutMs: number, password: string | undefined): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--daemonize', 'no'];
  // A full sync starts at once: Redis 7 otherwise waits 5 s for more replicas to join a diskless sync.
  args.push('--dir', dir, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0');
  args.push('--cluster-enabled', 'yes', '--cluster-config-file', `nodes-${port}.conf`);
  args.push('--cluster-node-timeout', String(nodeTimeoutMs), '--cluster-replica-validity-factor', '0');
  if (password !== undefined) args.push('--requirepass', password, '--masterauth', password);
  return args;
}

interface ClusterParts {
  readonly dir: string;
  readonly members: Map<number, ChildProcess | undefined>;
  readonly cli: RedisCliOptions;
  readonly spawnMember: (port: number) => Promise<ChildProcess>;
  readonly password: string | undefined;
}

function clusterHandle(parts: ClusterParts): RedisCluster {
  const { dir, members, cli, spawnMember, password } = parts;
  let stopped = false;
  const running = (): number[] => [...members].filter(([, child]) => isRunning(child)).map(([port]) => port);
  const nodes = async (): Promise<ClusterNodeLine[]> => {
    const [port] = running();
    if (port === undefined) throw new TestkitError('TESTKIT_ERR_REDIS_START', 'no member of the cluster runs');
    return parseClusterNodes(await redisCli(port, ['CLUSTER', 'NODES'], cli));
  };
  const auth = password === undefined ? '' : `:${encodeURIComponent(password)}@`;
  return {
    get url() {
      return `redis+cluster://${auth}${[...members.keys()].map((port) => `127.0.0.1:${port}`).join(',')}`;
    },
    get ports() {
      return [...members.keys()];
    },
    password,
    isRunning: (port) => isRunning(members.get(port)),
    nodes,
    masters: async () => servingMasters(await nodes()).map((node) => node.port),
    masterOf: async (key) => {
      const slot = Number(await redisCli(running()[0]!, ['CLUSTER', 'KEYSLOT', key], cli));
      const master = servingMasters(await nodes()).find((node) => node.slots.some(([a, b]) => a <= slot && slot <= b));
      if (!master) throw new TestkitError('TESTKIT_ERR_REDIS_START', `no master serves slot ${slot}`);
      return master.port;
    },
    async kill(port) {
      const child = members.get(port);
      if (child) await stopRedisChild(child, 'SIGKILL');
    },
    async restart(port) {
      if (isRunning(members.get(port))) return;
      members.set(port, await spawnMember(port));
    },
    waitHealthy: (timeoutMs = 20_000) =>
      waitFor(() => isHealthy(running(), cli), timeoutMs, 'the cluster to be healthy'),
    async stop() {
      if (stopped) return;
      stopped = true;
      await Promise.all([...members.values()].map((child) => (child ? stopRedisChild(child, 'SIGKILL') : undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Masters that are not failed and serve at least one slot. */
function servingMasters(lines: ClusterNodeLine[]): ClusterNodeLine[] {
  return lines.filter((node) => node.flags.includes('master') && !node.flags.includes('fail') && node.slots.length > 0);
}

/**
 * Every running member sees an ok cluster whose slots are all served by running masters, and every
 * other running member is a replica in sync.
 */
async function isHealthy(running: number[], cli: RedisCliOptions): Promise<boolean> {
  for (const port of running) {
    const info = await redisCli(port, ['CLUSTER', 'INFO'], cli).catch(() => '');
    if (!/cluster_state:ok/.test(info) || !/cluster_slots_ok:16384/.test(info)) return false;
  }
  const lines = parseClusterNodes(await redisCli(running[0]!, ['CLUSTER', 'NODES'], cli));
  const served = servingMasters(lines);
  if (served.some((node) => !running.includes(node.port))) return false;
  if (served.reduce((sum, node) => sum + node.slots.reduce((n, [a, b]) => n + b - a + 1, 0), 0) !== 16384) return false;
  const replicas = lines.filter((node) => node.flags.includes('slave') && running.includes(node.port));
  // Every running member is a serving master or a replica in this view: right after the create
  // (or a restart) a replica can still be gossiped as a master without slots.
  const placed = new Set([...served, ...replicas].map((node) => node.port));
  if (running.some((port) => !placed.has(port))) return false;
  for (const replica of replicas) {
    const replication = await redisInfo(replica.port, 'replication', cli).catch(() => new Map<string, string>());
    if (replication.get('master_link_status') !== 'up') return false;
  }
  return true;
}

/** Polls `check` every 100 ms until it holds; rejects with TESTKIT_ERR_TIMEOUT naming `what`. */
export async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check().catch(() => false)) return;
    if (Date.now() > deadline) throw new TestkitError('TESTKIT_ERR_TIMEOUT', `timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
