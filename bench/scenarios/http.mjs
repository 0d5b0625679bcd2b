// HTTP requests/s and p99 latency with wrk (64 connections, 2 threads, keep-alive). wrk's
// threads are sampled from /proc while it runs: a thread near a full core means wrk, not the
// proxy, may have set the pace.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { withCpuAccounting } from '../lib/measure.mjs';
import { cpuSeconds, threadCpu } from '../lib/proc.mjs';
import { saturatedCpuShare } from '../lib/load-runner.mjs';
import { which } from '../lib/tools.mjs';

const units = { us: 1e-3, ms: 1, s: 1e3, m: 60e3 };

/** Parses wrk's `--latency` report. */
export function parseWrk(text) {
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(text)?.[1]);
  const p99 = /^\s*99(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const p50 = /^\s*50(?:\.000)?%\s+([\d.]+)(us|ms|s|m)\s*$/m.exec(text);
  const total = Number(/(\d+) requests in/.exec(text)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(text)?.[1] ?? 0);
  const socketErrors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const errors =
    non2xx +
    (socketErrors
      ? socketErrors
          .slice(1)
          .map(Number)
          .reduce((a, b) => a + b, 0)
      : 0);
  return {
    requestsPerSecond: rps,
    p50Ms: p50 ? Number(p50[1]) * units[p50[2]] : NaN,
    p99Ms: p99 ? Number(p99[1]) * units[p99[2]] : NaN,
    requests: total,
    errors,
  };
}

async function runWrk(url, durationMs, connections, threads) {
  const seconds = Math.max(1, Math.round(durationMs / 1000));
  const child = spawn(
    which('wrk'),
    [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', '--timeout', '5s', `${url}/`],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout.on('data', (chunk) => (out += chunk));
  child.stderr.on('data', (chunk) => (out += chunk));
  const exited = once(child, 'exit');
  // Sample wrk's own threads over the middle of the run.
  await sleep(500);
  const t0 = performance.now();
  const before = threadCpu(child.pid);
  await sleep(Math.max(200, seconds * 1000 - 1000));
  const elapsed = (performance.now() - t0) / 1000;
  const after = threadCpu(child.pid);
  const totalCpu = cpuSeconds(child.pid);
  const threadShares = [...after]
    .map(([tid, s]) => (s - (before.get(tid) ?? 0)) / elapsed)
    .filter((share) => share > 0.01);
  const [code] = await exited;
  if (code !== 0) throw new Error(`wrk exited ${code}: ${out.trim()}`);
  return { ...parseWrk(out), threadShares, clientCpuEstimate: totalCpu * (seconds / (0.5 + elapsed)) };
}

export const httpScenario = {
  name: 'http',
  title: 'HTTP GET, small response, 64 keep-alive connections (wrk, 2 threads)',
  metrics: [
    { key: 'requestsPerSecond', label: 'HTTP requests/s', better: 'higher' },
    { key: 'p99Ms', label: 'HTTP p99 (ms)', better: 'lower' },
    { key: 'proxyCpuMicrosPerOp', label: 'proxy CPU per request (µs)', better: 'lower', proxyOnly: true },
  ],
  available() {
    return which('wrk') ? { ok: true } : { ok: false, reason: 'wrk is not installed (run bench/setup.sh)' };
  },
  async run({ instance, backend, settings }) {
    const r = await withCpuAccounting({ proxyPids: instance.pids, backendPids: [backend.pid] }, async () => {
      const wrk = await runWrk(instance.url, settings.durationMs, 64, 2);
      return { ...wrk, clientCpuSeconds: wrk.clientCpuEstimate };
    });
    if (!(r.requests > 0)) throw new Error('wrk completed no request');
    return {
      metrics: {
        requestsPerSecond: r.requestsPerSecond,
        p99Ms: r.p99Ms,
        proxyCpuMicrosPerOp: (r.cpu.proxySeconds / r.requests) * 1e6,
      },
      errors: r.errors,
      clientSaturated: r.threadShares.some((share) => share >= saturatedCpuShare),
      clientCpuShares: r.threadShares,
      cpu: r.cpu,
    };
  },
};
