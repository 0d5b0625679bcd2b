import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { TestkitError } from '../errors/testkit-error.js';
import { registerChild, signalChild } from '../process/child-registry.js';
import { answersRedis } from './redis-ping.js';

/** Longest wait for a spawned redis-server to answer. */
const startTimeoutMs = 10_000;

/**
 * Spawns `redis-server ARGS…` (a data node, a cluster node or, with a config file and
 * `--sentinel`, a sentinel) and resolves once it answers on `port` (over TLS with `tls`). Rejects with
 * TESTKIT_ERR_REDIS_START and the server's own output when it exits or stays silent; the error's
 * `spawnCode` is `ENOENT` when redis-server is not on PATH.
 */
export async function spawnRedisChild(
  port: number,
  args: readonly string[],
  options: { readonly tls?: boolean } = {},
): Promise<ChildProcess> {
  const child = spawn('redis-server', [...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  registerChild(child);
  let output = '';
  let spawnError: NodeJS.ErrnoException | undefined;
  child.stdout?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4_000)));
  child.once('error', (err) => (spawnError = err));
  const deadline = Date.now() + startTimeoutMs;
  while (Date.now() < deadline) {
    if (spawnError !== undefined || child.exitCode !== null || child.signalCode !== null) break;
    if (await answersRedis(port, '127.0.0.1', 1000, options.tls)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  signalChild(child, 'SIGKILL');
  const reason =
    spawnError?.code === 'ENOENT' ? 'redis-server is not on PATH' : `redis-server did not answer on port ${port}`;
  const error = new TestkitError('TESTKIT_ERR_REDIS_START', `${reason}\n${output}`, { cause: spawnError });
  Object.assign(error, { spawnCode: spawnError?.code });
  throw error;
}

/** Whether the child still runs. */
export function isRunning(child: ChildProcess | undefined): boolean {
  return child !== undefined && child.exitCode === null && child.signalCode === null;
}

/**
 * Stops a child and resolves once it has exited: SIGTERM (then SIGKILL after 5 s) for a clean
 * stop, or SIGKILL at once for a crash.
 */
export async function stopRedisChild(child: ChildProcess, signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
  if (!isRunning(child)) return;
  const exited = once(child, 'exit');
  signalChild(child, signal);
  const timer = signal === 'SIGTERM' ? setTimeout(() => signalChild(child, 'SIGKILL'), 5_000) : undefined;
  try {
    await exited;
  } finally {
    clearTimeout(timer);
  }
}
