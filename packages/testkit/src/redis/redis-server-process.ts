import type { ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { TestkitError } from '../errors/testkit-error.js';
import { RESERVED_REDIS_PORT, findFreePort } from '../net/free-port.js';
import { spawnRedisChild, stopRedisChild } from './redis-child.js';

/** A `redis-server` child process owned by the test. */
export interface RedisServerProcess {
  /** `redis://127.0.0.1:PORT`, or `rediss://…` for a TLS server */
  readonly url: string;
  readonly port: number;
  /** Whether the server process is currently running. */
  readonly running: boolean;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s); resolves once it has exited. */
  stop(): Promise<void>;
  /** Starts it again on the same port (stopping it first if needed): a Redis outage and recovery. */
  restart(): Promise<void>;
}

/** Options for {@link startRedisServer}. */
export interface StartRedisServerOptions {
  /** Port to bind on 127.0.0.1; default: a free port. 6379 is refused. */
  port?: number;
  /**
   * Serve TLS only, on the port, with this PEM certificate and key (clients are not asked for
   * one); the URL is then `rediss://127.0.0.1:PORT`.
   */
  tls?: { readonly certFile: string; readonly keyFile: string };
}

const BIND_ATTEMPTS = 3;

/**
 * Spawns the `redis-server` binary from PATH on 127.0.0.1 without persistence
 * (`--save '' --appendonly no`) and resolves once it answers PING. `restart()` therefore brings
 * it back empty: a Redis that lost its data.
 */
export async function startRedisServer(options: StartRedisServerOptions = {}): Promise<RedisServerProcess> {
  if (options.port === RESERVED_REDIS_PORT) {
    throw new TestkitError('TESTKIT_ERR_REDIS_START', 'refusing to start a test Redis on port 6379');
  }
  let lastError: unknown;
  // A free port found by probing can be taken before redis binds it: retry on a new one.
  for (let attempt = 0; attempt < (options.port ? 1 : BIND_ATTEMPTS); attempt += 1) {
    const port = options.port ?? (await findFreePort());
    try {
      const child = await spawnRedis(port, options.tls);
      return makeHandle(port, child, options.tls);
    } catch (err) {
      lastError = err;
      if ((err as { spawnCode?: string }).spawnCode === 'ENOENT') break;
    }
  }
  throw lastError;
}

function makeHandle(port: number, first: ChildProcess, tls: StartRedisServerOptions['tls']): RedisServerProcess {
  let child: ChildProcess | undefined = first;
  const stop = async (): Promise<void> => {
    const current = child;
    child = undefined;
    if (current) await stopRedisChild(current);
  };
  return {
    url: `${tls ? 'rediss' : 'redis'}://127.0.0.1:${port}`,
    port,
    get running() {
      return child !== undefined && child.exitCode === null && child.signalCode === null;
    },
    stop,
    async restart() {
      await stop();
      child = await spawnRedis(port, tls);
    },
  };
}

function spawnRedis(port: number, tls: StartRedisServerOptions['tls']): Promise<ChildProcess> {
  const ports = tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const args = [...ports, '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  // --dir keeps any accidental dump out of the repository.
  args.push('--dir', tmpdir(), '--daemonize', 'no', '--protected-mode', 'no');
  if (tls) args.push('--tls-cert-file', tls.certFile, '--tls-key-file', tls.keyFile, '--tls-auth-clients', 'no');
  return spawnRedisChild(port, args, { tls: tls !== undefined });
}
