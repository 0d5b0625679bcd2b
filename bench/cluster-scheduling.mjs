// Which cluster scheduling policy should Mooring default to? Measures WebSocket handshakes per
// second (open + close, 32 at a time, from several client processes) through a 2-worker node
// with `--scheduling none` and `--scheduling rr`, in front of 1 and 3 echo backends, and
// directly to a backend as the reference. Targets are interleaved within each repetition (and
// the order rotates) so that drift on a shared machine hits them all alike.
//
//   node bench/cluster-scheduling.mjs [--duration 8] [--reps 3] [--backends 1,3]
//                                     [--concurrency 32] [--processes 2] [--quick]
import { parseArgs } from 'node:util';
import { startEchoBackend } from './lib/echo-service.mjs';
import { startMooring } from './lib/mooring-service.mjs';
import { runLoad } from './lib/load-runner.mjs';
import { cpuDelta, cpuSnapshot } from './lib/proc.mjs';
import { fmt, fmtSummary, summarise } from './lib/stats.mjs';
import { fileStamp, machineInfo, writeJson } from './lib/results.mjs';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '8' },
    reps: { type: 'string', default: '3' },
    backends: { type: 'string', default: '1,3' },
    concurrency: { type: 'string', default: '32' },
    processes: { type: 'string', default: '2' },
    quick: { type: 'boolean', default: false },
  },
});
const durationMs = Number(values.quick ? 3 : values.duration) * 1000;
const reps = Number(values.quick ? 1 : values.reps);
const backendCounts = values.backends.split(',').map(Number);
const concurrency = Number(values.concurrency);
const processes = Number(values.processes);

async function main() {
  const backends = [];
  for (let i = 0; i < Math.max(...backendCounts); i++) backends.push(await startEchoBackend(`backend-${i}`));
  const targets = [{ name: 'direct', service: backends[0], backendsUsed: 1 }];
  for (const count of backendCounts) {
    for (const scheduling of ['none', 'rr']) {
      const used = backends.slice(0, count).map((b, i) => ({ id: `b${i}`, url: b.url }));
      const node = await startMooring({
        name: `mooring-${scheduling}-${count}b`,
        backends: used,
        workers: 2,
        scheduling,
      });
      targets.push({
        name: `mooring ${scheduling}, ${count} backend${count > 1 ? 's' : ''}`,
        service: node,
        scheduling,
        backendsUsed: count,
      });
    }
  }
  const backendPids = backends.map((b) => b.pid);
  const runs = new Map(targets.map((t) => [t.name, []]));
  try {
    for (let rep = 0; rep < reps; rep++) {
      // Rotate the order each repetition so that no target always runs first (or last).
      const order = targets.map((_, i) => targets[(i + rep) % targets.length]);
      for (const target of order) {
        const proxyPids = target.name === 'direct' ? [] : target.service.pids();
        const proxyBefore = cpuSnapshot(proxyPids);
        const backendBefore = cpuSnapshot(backendPids);
        const result = await runLoad({
          mode: 'handshake',
          url: target.service.url.replace('http', 'ws'),
          connections: concurrency,
          processes,
          durationMs,
        });
        const run = {
          rep,
          handshakesPerSecond: result.count / result.seconds,
          p50Ms: result.p50Ms,
          p99Ms: result.p99Ms,
          errors: result.errors,
          firstError: result.firstError,
          proxyCpuSeconds: cpuDelta(proxyBefore, proxyPids),
          // The primary's share: with rr it accepts every connection and hands it to a worker.
          primaryCpuSeconds: cpuDelta(proxyBefore, proxyPids.slice(0, 1)),
          backendCpuSeconds: cpuDelta(backendBefore, backendPids),
          clientCpuSeconds: result.clientCpuSeconds,
          clientCpuShares: result.clientCpuShares,
          clientSaturated: result.clientSaturated,
        };
        run.proxyCpuMicrosPerHandshake = result.count ? (run.proxyCpuSeconds / result.count) * 1e6 : NaN;
        runs.get(target.name).push(run);
        console.error(
          `rep ${rep + 1}/${reps} ${target.name.padEnd(26)} ${fmt(run.handshakesPerSecond)} handshakes/s, p99 ${fmt(run.p99Ms)} ms, ` +
            `errors ${run.errors}${run.firstError ? ` (${run.firstError})` : ''}, proxy CPU ${fmt(run.proxyCpuSeconds)} s, ` +
            `clients ${run.clientCpuShares.map((s) => `${Math.round(s * 100)}%`).join('/')}`,
        );
      }
    }
  } finally {
    await Promise.all(targets.filter((t) => t.name !== 'direct').map((t) => t.service.stop()));
    await Promise.all(backends.map((b) => b.stop()));
  }

  const summary = targets.map((target) => {
    const list = runs.get(target.name);
    return {
      target: target.name,
      scheduling: target.scheduling ?? null,
      backends: target.backendsUsed,
      handshakesPerSecond: summarise(list.map((r) => r.handshakesPerSecond)),
      p99Ms: summarise(list.map((r) => r.p99Ms)),
      proxyCpuMicrosPerHandshake: summarise(list.map((r) => r.proxyCpuMicrosPerHandshake)),
      primaryCpuShare: summarise(list.map((r) => (r.proxyCpuSeconds ? r.primaryCpuSeconds / r.proxyCpuSeconds : NaN))),
      errors: list.reduce((sum, r) => sum + r.errors, 0),
      clientSaturated: list.some((r) => r.clientSaturated),
    };
  });
  const direct = summary[0].handshakesPerSecond.median;
  const lines = [
    `WebSocket handshakes/s (open + close, ${concurrency} concurrent, ${processes} client processes, ${durationMs / 1000} s per run, ${reps} interleaved repetitions; median (min–max))`,
    '',
    '| target | handshakes/s | vs direct | p99 ms | proxy CPU µs/handshake | primary share of proxy CPU | errors | client saturated |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...summary.map(
      (s) =>
        `| ${s.target} | ${fmtSummary(s.handshakesPerSecond)} | ${fmt(s.handshakesPerSecond.median / direct, 2)} | ${fmtSummary(s.p99Ms)} | ` +
        `${s.scheduling ? fmtSummary(s.proxyCpuMicrosPerHandshake) : '–'} | ${s.scheduling ? fmtSummary(s.primaryCpuShare, 2) : '–'} | ${s.errors} | ${s.clientSaturated ? 'yes' : 'no'} |`,
    ),
  ];
  for (const count of backendCounts) {
    const none = summary.find((s) => s.scheduling === 'none' && s.backends === count);
    const rr = summary.find((s) => s.scheduling === 'rr' && s.backends === count);
    lines.push(
      '',
      `${count} backend(s): rr / none = ${fmt(rr.handshakesPerSecond.median / none.handshakesPerSecond.median, 3)}`,
    );
  }
  console.log(lines.join('\n'));
  const path = writeJson(`cluster-scheduling-${fileStamp()}.json`, {
    benchmark: 'cluster-scheduling',
    date: new Date().toISOString(),
    machine: machineInfo(),
    settings: { durationMs, reps, concurrency, processes, backendCounts, workers: 2 },
    summary,
    runs: Object.fromEntries(runs),
  });
  console.log(`\nJSON: ${path}`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
