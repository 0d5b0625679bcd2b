// Starting and stopping the processes a benchmark measures: backends, proxies, Mooring nodes.
// Every child is started with a raised open-file limit (10,000 idle WebSockets need ~20,000
// descriptors in a proxy) and is killed when the benchmark exits, however it exits.
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Open-file limit set for every child: the hard limit (`ulimit -n` cannot go above it without
 * CAP_SYS_RESOURCE, which containers often lack), capped at 200,000.
 */
export const childNofile = (() => {
  try {
    const hard = execFileSync('sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }).trim();
    return hard === 'unlimited' ? 200_000 : Math.min(200_000, Number(hard));
  } catch {
    return 1024;
  }
})();
const live = new Set();

function killAll() {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Spawns `command args` through `sh` so that `ulimit -n` applies, then execs it (the pid is the
 * program's own). Resolves once `isReady(line)` is true for a stdout line, or rejects after
 * `readyTimeoutMs` or if the program exits first.
 */
export async function startService({ name, command, args = [], env = {}, cwd, isReady, readyTimeoutMs = 15_000 }) {
  const script = `ulimit -n ${childNofile} 2>/dev/null; exec "$@"`;
  const child = spawn('sh', ['-c', script, 'sh', command, ...args], {
    cwd,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(child);
  child.once('exit', () => live.delete(child));
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr = (stderr + chunk).slice(-4000);
  });
  const service = {
    name,
    child,
    pid: child.pid,
    stderrTail: () => stderr,
    stop: (timeoutMs = 5_000) => stopChild(child, timeoutMs),
  };
  const lines = createInterface({ input: child.stdout });
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${name} not ready after ${readyTimeoutMs} ms; stderr: ${stderr}`)),
      readyTimeoutMs,
    );
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code ?? signal}) before it was ready; stderr: ${stderr}`));
    });
    if (!isReady) {
      clearTimeout(timer);
      resolve(undefined);
      return;
    }
    lines.on('line', (line) => {
      const verdict = isReady(line);
      if (verdict) {
        clearTimeout(timer);
        resolve(verdict);
      }
    });
  });
  // Keep draining stdout so a chatty child never blocks on a full pipe.
  lines.on('line', () => {});
  try {
    service.readyInfo = await ready;
  } catch (err) {
    await stopChild(child, 1000);
    throw err;
  }
  return service;
}

async function stopChild(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const outcome = await Promise.race([exited.then(() => 'exited'), sleep(timeoutMs).then(() => 'timeout')]);
  if (outcome === 'timeout') {
    child.kill('SIGKILL');
    await exited;
  }
}

/** Parses a JSON stdout line, or undefined. */
export function jsonLine(line) {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

/** Polls `url` until `accept(status, body)` or the deadline. */
export async function pollHttp(url, accept, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      const body = await res.text();
      if (accept(res.status, body)) return;
      last = `${res.status} ${body}`;
    } catch (err) {
      last = err.message;
    }
    await sleep(100);
  }
  throw new Error(`${url} not ready after ${timeoutMs} ms (last: ${last})`);
}
