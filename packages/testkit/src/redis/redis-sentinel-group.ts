import type { ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from '../net/free-port.js';
import { TestkitError } from '../errors/testkit-error.js';
import { isRunning, spawnRedisChild, stopRedisChild } from './redis-child.js';
import { redisCli, redisInfo, type RedisCliOptions } from './redis-cli.js';
import { waitFor } from './redis-cluster.js';

/** Options of {@link startRedisSentinelGroup}. */
export interface StartSentinelGroupOptions {
  /** The name the sentinels monitor the master under; default `mymaster`. */
  readonly masterName?: string;
  /** `requirepass`/`masterauth` of the master and the replica (the URL's password); absent: none. */
  readonly password?: string;
  /** `requirepass` of the sentinels themselves (`--redis-sentinel-password`); absent: none. */
  readonly sentinelPassword?: string;
  /** `down-after-milliseconds`: how long a silent master takes to be declared down; default 1000. */
  readonly downAfterMs?: number;
  /** `failover-timeout`; default 3000. */
  readonly failoverTimeoutMs?: number;
}

/** One master, one replica and three sentinels, owned by the test, on free ports, without persistence. */
export interface RedisSentinelGroup {
  /** `redis+sentinel://[:password@]127.0.0.1:S1,127.0.0.1:S2,127.0.0.1:S3/MASTER_NAME` */
  readonly url: string;
  readonly masterName: string;
  /** The data nodes' ports: the first master, then its replica. */
  readonly dataPorts: readonly number[];
  readonly sentinelPorts: readonly number[];
  readonly password: string | undefined;
  readonly sentinelPassword: string | undefined;
  isRunning(port: number): boolean;
  /** The master's port, as a majority of the running sentinels names it now. */
  masterPort(): Promise<number>;
  /** Kills a data node or a sentinel with SIGKILL (a crash). */
  kill(port: number): Promise<void>;
  /**
   * Starts a killed member again on its port. A data node comes back empty, as a replica of the
   * master the sentinels name (a deployment's start script asks them the same way).
   */
  restart(port: number): Promise<void>;
  /**
   * Resolves with the master's port once every running sentinel names one running master, sees it
   * up, knows the other running sentinels, and a running replica's link to it is up.
   */
  waitHealthy(timeoutMs?: number): Promise<number>;
  /** Stops every member and removes the temporary directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Starts a real Sentinel group: a master and its replica (`--replicaof`), and, once the replica is
 * in sync, three sentinels (`redis-server FILE --sentinel`, quorum 2) told of both, each with its
 * own config file in a temporary directory (sentinels rewrite it). Resolves once it is healthy.
 * Short timeouts make a failover take a few seconds.
 */
export async function startRedisSentinelGroup(options: StartSentinelGroupOptions = {}): Promise<RedisSentinelGroup> {
  const masterName = options.masterName ?? 'mymaster';
  const dir = await mkdtemp(join(tmpdir(), 'mooring-sentinel-'));
  const members = new Map<number, { child: ChildProcess | undefined; start: () => Promise<ChildProcess> }>();
  const dataPorts: number[] = [];
  const sentinelPorts: number[] = [];
  const group = groupHandle({ dir, members, dataPorts, sentinelPorts, masterName, options });
  try {
    const [masterPort, replicaPort] = [await findFreePort(), await findFreePort()];
    dataPorts.push(masterPort, replicaPort);
    await startMember(members, masterPort, () => spawnRedisChild(masterPort, dataArgs(masterPort, dir, options)));
    const replicaArgs = [...dataArgs(replicaPort, dir, options), '--replicaof', '127.0.0.1', String(masterPort)];
    await startMember(members, replicaPort, () => spawnRedisChild(replicaPort, replicaArgs));
    const data: RedisCliOptions = { password: options.password };
    const linked = async (): Promise<boolean> =>
      (await redisInfo(replicaPort, 'replication', data)).get('master_link_status') === 'up';
    await waitFor(linked, 10_000, 'the replica to sync');
    for (let index = 0; index < 3; index += 1) {
      const port = await findFreePort();
      sentinelPorts.push(port);
      const file = join(dir, `sentinel-${port}.conf`);
      await writeFile(file, sentinelConfig({ port, dir, masterName, masterPort, replicaPort, options }));
      await startMember(members, port, () => spawnRedisChild(port, [file, '--sentinel']));
    }
    await group.waitHealthy(20_000);
    return group;
  } catch (err) {
    await group.stop();
    throw err;
  }
}

async function startMember(
  members: Map<number, { child: ChildProcess | undefined; start: () => Promise<ChildProcess> }>,
  port: number,
  start: () => Promise<ChildProcess>,
): Promise<void> {
  members.set(port, { child: undefined, start });
  members.set(port, { child: await start(), start });
}

/** A data node; a full sync starts at once (Redis 7 otherwise waits 5 s for more replicas to join a diskless sync). */
function dataArgs(port: number, dir: string, options: StartSentinelGroupOptions): string[] {
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'no', '--daemonize', 'no'];
  args.push('--dir', dir, '--save', '', '--appendonly', 'no', '--repl-diskless-sync-delay', '0');
  if (options.password !== undefined) args.push('--requirepass', options.password, '--masterauth', options.password);
  return args;
}

interface SentinelConfig {
  readonly port: number;
  readonly dir: string;
  readonly masterName: string;
  readonly masterPort: number;
  readonly replicaPort: number;
  readonly options: StartSentinelGroupOptions;
}

/** A sentinel's config file; `known-replica` spares it waiting for its first INFO round (10 s) to find the replica. */
function sentinelConfig(config: SentinelConfig): string {
  const { port, dir, masterName, masterPort, replicaPort, options } = config;
  const lines = [
    `port ${port}`,
    'bind 127.0.0.1',
    'protected-mode no',
    'daemonize no',
    `dir ${dir}`,
    `sentinel monitor ${masterName} 127.0.0.1 ${masterPort} 2`,
    `sentinel down-after-milliseconds ${masterName} ${options.downAfterMs ?? 1_000}`,
    `sentinel failover-timeout ${masterName} ${options.failoverTimeoutMs ?? 3_000}`,
    `sentinel parallel-syncs ${masterName} 1`,
    `sentinel known-replica ${masterName} 127.0.0.1 ${replicaPort}`,
  ];
  if (options.password !== undefined) lines.push(`sentinel auth-pass ${masterName} ${options.password}`);
  if (options.sentinelPassword !== undefined) {
    lines.push(`requirepass ${options.sentinelPassword}`, `sentinel sentinel-pass ${options.sentinelPassword}`);
  }
  return `${lines.join('\n')}\n`;
}

interface GroupParts {
  readonly dir: string;
  readonly members: Map<number, { child: ChildProcess | undefined; start: () => Promise<ChildProcess> }>;
  readonly dataPorts: number[];
  readonly sentinelPorts: number[];
  readonly masterName: string;
  readonly options: StartSentinelGroupOptions;
}

const running = (parts: GroupParts, port: number): boolean => isRunning(parts.members.get(port)?.child);

/** The master's port, as a majority of the running sentinels names it; throws when they disagree. */
async function askMaster(parts: GroupParts): Promise<number> {
  const { sentinelPorts, masterName, options } = parts;
  const cli: RedisCliOptions = { password: options.sentinelPassword };
  const asked = sentinelPorts.filter((port) => running(parts, port));
  const named = await Promise.all(
    asked.map((port) => redisCli(port, ['SENTINEL', 'get-master-addr-by-name', masterName], cli)),
  );
  const ports = named.map((text) => Number(text.split(/\s+/)[1]));
  const [first] = ports;
  if (first === undefined || ports.filter((port) => port === first).length * 2 <= ports.length) {
    throw new TestkitError('TESTKIT_ERR_TIMEOUT', `the sentinels disagree on the master: ${ports.join(', ')}`);
  }
  return first;
}

/** Every running sentinel sees the named master up and knows the others; a running replica follows it. */
async function isHealthy(parts: GroupParts): Promise<boolean> {
  const { sentinelPorts, dataPorts, masterName, options } = parts;
  const master = await askMaster(parts);
  if (!running(parts, master)) return false;
  const sentinels = sentinelPorts.filter((port) => running(parts, port));
  for (const port of sentinels) {
    const cli: RedisCliOptions = { password: options.sentinelPassword };
    const fields = pairs(await redisCli(port, ['SENTINEL', 'master', masterName], cli));
    if (fields.get('flags') !== 'master' || Number(fields.get('port')) !== master) return false;
    if (Number(fields.get('num-other-sentinels')) < sentinels.length - 1) return false;
  }
  const replicas = dataPorts.filter((port) => port !== master && running(parts, port));
  for (const port of replicas) {
    const replication = await redisInfo(port, 'replication', { password: options.password });
    if (replication.get('master_port') !== String(master) || replication.get('master_link_status') !== 'up') {
      return false;
    }
  }
  return replicas.length > 0;
}

/**
 * Starts a killed member again. A data node follows the master the sentinels name, as a
 * deployment's start script does, rather than come up as a master of nothing until the
 * sentinels' next INFO round (10 s) corrects it.
 */
async function restartMember(parts: GroupParts, port: number): Promise<void> {
  const { members, dataPorts, dir, options } = parts;
  const member = members.get(port);
  if (!member || isRunning(member.child)) return;
  if (!dataPorts.includes(port)) return void (member.child = await member.start());
  const master = await askMaster(parts);
  const follow = master === port ? [] : ['--replicaof', '127.0.0.1', String(master)];
  member.child = await spawnRedisChild(port, [...dataArgs(port, dir, options), ...follow]);
}

function groupHandle(parts: GroupParts): RedisSentinelGroup {
  const { dir, members, dataPorts, sentinelPorts, masterName, options } = parts;
  const auth = options.password === undefined ? '' : `:${encodeURIComponent(options.password)}@`;
  let stopped = false;
  return {
    get url() {
      return `redis+sentinel://${auth}${sentinelPorts.map((port) => `127.0.0.1:${port}`).join(',')}/${masterName}`;
    },
    masterName,
    dataPorts,
    sentinelPorts,
    password: options.password,
    sentinelPassword: options.sentinelPassword,
    isRunning: (port) => running(parts, port),
    masterPort: () => askMaster(parts),
    async kill(port) {
      const child = members.get(port)?.child;
      if (child) await stopRedisChild(child, 'SIGKILL');
    },
    restart: (port) => restartMember(parts, port),
    async waitHealthy(timeoutMs = 20_000) {
      await waitFor(() => isHealthy(parts), timeoutMs, 'the sentinel group to be healthy');
      return askMaster(parts);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      const children = [...members.values()].map(({ child }) => child);
      await Promise.all(children.map((child) => (child ? stopRedisChild(child, 'SIGKILL') : undefined)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** redis-cli's rendering of a flat reply (`SENTINEL master`): alternating lines of field and value. */
function pairs(text: string): Map<string, string> {
  const lines = text.split(/\r?\n/);
  const fields = new Map<string, string>();
  for (let index = 0; index + 1 < lines.length; index += 2) fields.set(lines[index]!, lines[index + 1]!);
  return fields;
}
