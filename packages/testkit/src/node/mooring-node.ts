import { spawn, type ChildProcess } from 'node:child_process';
import { TestkitError } from '../errors/testkit-error.js';
import { registerChild, signalChild } from '../process/child-registry.js';
import { waitForExit } from '../process/exit-code.js';
import { LogCollector, type LogLine } from './log-collector.js';
import { MOORING_BIN } from './mooring-bin.js';

/** Options for {@link startMooringNode}. */
export interface MooringNodeOptions {
  /** Extra `mooring start` arguments (`--redis`, `--backend id=url`...). */
  args?: string[];
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  /** `--workers`; default 1. */
  workers?: number;
  cwd?: string;
  /** How long to wait for `node ready`; default 20 s. */
  readyTimeoutMs?: number;
  /** Script to run instead of the built CLI (for testing the launcher itself). */
  bin?: string;
}

/** A running `mooring start` process. */
export interface MooringNode {
  pid: number;
  /** Proxy listener port. */
  port: number;
  adminPort: number;
  /** `http://127.0.0.1:PORT` */
  url: string;
  /** `ws://127.0.0.1:PORT` */
  wsUrl: string;
  /** `http://127.0.0.1:ADMIN_PORT` */
  adminUrl: string;
  /** Every pino JSON line from stdout so far (live array). */
  logs: LogLine[];
  /** Every output line, JSON or not, stdout and stderr. */
  rawOutput: string[];
  /** First log line (past or future) matching `predicate`; default timeout 5000 ms. */
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Signals the primary and resolves with its exit status; SIGKILLs the group after `timeoutMs` (default 20 s). */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<number>;
  /** SIGKILLs the primary and its workers (a crashed node); resolves with the exit status. */
  kill(): Promise<number>;
  process: ChildProcess;
}

/**
 * Spawns `node packages/cli/dist/bin.js start` on 127.0.0.1 port 0 (proxy and
 * admin) and resolves when it logs `node ready`. Rejects with all output so
 * far if it exits first or is not ready in time.
 */
export async function startMooringNode(options: MooringNodeOptions = {}): Promise<MooringNode> {
  const args = ['start', ...defaultArgs(options), ...(options.args ?? [])];
  // Own process group, so kill() and the exit hook take the cluster workers too.
  const child = spawn(process.execPath, [options.bin ?? MOORING_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  registerChild(child, { group: true });
  const collector = collect(child);
  try {
    const ready = await collector.waitFor((line) => line.msg === 'node ready', options.readyTimeoutMs ?? 20_000);
    return makeNode(child, collector, ready);
  } catch (err) {
    signalChild(child, 'SIGKILL');
    const message = `mooring node did not become ready: ${(err as Error).message}`;
    throw new TestkitError('TESTKIT_ERR_NODE_START', message, { cause: err });
  }
}

function defaultArgs(options: MooringNodeOptions): string[] {
  const given = new Set(options.args ?? []);
  const defaults: string[] = [];
  // Let a test pin its own listener (e.g. a restart on the same port).
  if (!given.has('--listen')) defaults.push('--listen', '127.0.0.1:0');
  if (!given.has('--admin')) defaults.push('--admin', '127.0.0.1:0');
  if (!given.has('--workers')) defaults.push('--workers', String(options.workers ?? 1));
  return defaults;
}

function collect(child: ChildProcess): LogCollector {
  const collector = new LogCollector();
  if (child.stdout) collector.attach(child.stdout, true);
  if (child.stderr) collector.attach(child.stderr, false);
  child.once('error', (err) => collector.end(`spawn failed: ${err.message}`));
  // 'close' comes after the last output line; fall back to 'exit' in case a
  // leftover worker keeps the pipes open.
  child.once('close', (code, signal) => collector.end(`process exited (code ${code}, signal ${signal})`));
  child.once('exit', (code, signal) => {
    setTimeout(() => collector.end(`process exited (code ${code}, signal ${signal})`), 1000).unref();
  });
  return collector;
}

function makeNode(child: ChildProcess, collector: LogCollector, ready: LogLine): MooringNode {
  const port = portOf(ready, 'listen');
  const adminPort = portOf(ready, 'admin');
  return {
    pid: child.pid ?? 0,
    port,
    adminPort,
    url: `http://127.0.0.1:${port}`,
    wsUrl: `ws://127.0.0.1:${port}`,
    adminUrl: `http://127.0.0.1:${adminPort}`,
    logs: collector.logs,
    rawOutput: collector.rawOutput,
    waitForLog: (predicate, timeoutMs) => collector.waitFor(predicate, timeoutMs),
    async stop(signal = 'SIGTERM', timeoutMs = 20_000) {
      signalChild(child, signal);
      const timer = setTimeout(() => signalChild(child, 'SIGKILL'), timeoutMs);
      try {
        return await waitForExit(child);
      } finally {
        clearTimeout(timer);
      }
    },
    kill() {
      signalChild(child, 'SIGKILL');
      return waitForExit(child);
    },
    process: child,
  };
}

function portOf(ready: LogLine, field: 'listen' | 'admin'): number {
  const value = ready[field] as { port?: unknown } | undefined;
  if (typeof value?.port !== 'number') {
    throw new TestkitError(
      'TESTKIT_ERR_NODE_START',
      `'node ready' log line has no ${field}.port: ${JSON.stringify(ready)}`,
    );
  }
  return value.port;
}
