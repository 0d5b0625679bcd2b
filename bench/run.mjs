// `pnpm bench`: Mooring side by side with what users would pick instead, on the same machine
// in the same run. Every scenario runs against every available target in turn, and the whole
// sequence repeats (3 times by default) with the target order rotated, so that noise on a
// shared machine hits all targets alike; results are medians with min–max, and ratios are
// taken within each repetition.
//
//   node bench/run.mjs [--quick] [--reps N] [--duration SECONDS] [--scenarios a,b] [--targets a,b]
//                      [--idle-connections N] [--profile SCENARIO]
//   node bench/run.mjs --scenarios scale [--scale-connections N] [--scale-echo-rate N]
//                      [--scale-echo-seconds S] [--scale-open-timeout S]
//
// Writes bench/results/<date>.json and (full runs only) bench/RESULTS.md; the opt-in scale
// scenario (its own processes, not per target) writes bench/results/scale-<date>.json, which
// RESULTS.md quotes, like bench/cluster-scheduling.mjs's.
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startEchoBackend } from './lib/echo-service.mjs';
import { fileStamp, machineInfo, resultsDir, writeJson } from './lib/results.mjs';
import {
  backendSaturated,
  cpuTable,
  mediansTable,
  featureCostTable,
  ratiosTables,
  routingTable,
  summariseRuns,
} from './lib/report.mjs';
import { runRoutingDecision } from './lib/routing.mjs';
import { fmt, fmtSummary } from './lib/stats.mjs';
import { hottestFunctions } from './lib/profile-summary.mjs';
import { gitRevision, versionOf, which } from './lib/tools.mjs';
import { childNofile } from './lib/services.mjs';
import { makeBenchCertificate, tlsUnavailable } from './lib/tls-material.mjs';
import { scaleSection } from './lib/scale-report.mjs';
import { latestHttpAbSection } from './lib/http-ab-report.mjs';
import { allTargets } from './targets/all.mjs';
import { httpScenario } from './scenarios/http.mjs';
import {
  wsEchoScenario,
  wsEchoTextScenario,
  wsHandshakeScenario,
  wsStreamScenario,
  wssEchoScenario,
  wssHandshakeScenario,
} from './scenarios/websocket.mjs';
import { idleMemoryScenario } from './scenarios/idle-memory.mjs';
import { scaleScenario } from './scenarios/scale.mjs';

const allScenarios = [
  httpScenario,
  wsEchoScenario,
  wsEchoTextScenario,
  wsStreamScenario,
  wsHandshakeScenario,
  wssEchoScenario,
  wssHandshakeScenario,
  idleMemoryScenario,
  scaleScenario,
];
/** The scenarios of a run that names none: every one but the opt-in ones (scale). */
const defaultScenarios = allScenarios.filter((s) => !s.optIn);
const repoRoot = fileURLToPath(new URL('..', import.meta.url));
const log = (...args) => console.error('[bench]', ...args);

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    reps: { type: 'string' },
    duration: { type: 'string' },
    scenarios: { type: 'string' },
    targets: { type: 'string' },
    'idle-connections': { type: 'string' },
    'client-processes': { type: 'string', default: '2' },
    'scale-connections': { type: 'string', default: '100000' },
    'scale-echo-rate': { type: 'string', default: '2000' },
    'scale-echo-seconds': { type: 'string', default: '10' },
    'scale-open-timeout': { type: 'string', default: '900' },
    profile: { type: 'string' },
    render: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});

if (values.help) {
  console.log(`usage: node bench/run.mjs [--quick] [--reps N] [--duration SECONDS] [--scenarios ${allScenarios.map((s) => s.name).join(',')}]
       [--targets ${allTargets.map((t) => t.name).join(',')}] [--idle-connections N] [--profile SCENARIO]
       node bench/run.mjs --scenarios scale [--scale-connections N] [--scale-echo-rate N] [--scale-echo-seconds S] [--scale-open-timeout S]
       node bench/run.mjs --render bench/results/<date>.json   (rewrite bench/RESULTS.md from a full run's JSON)`);
  process.exit(0);
}

const profile = values.profile;
const settings = {
  quick: values.quick,
  reps: Number(values.reps ?? (values.quick || profile ? 1 : 3)),
  durationMs: Number(values.duration ?? (values.quick ? 3 : 8)) * 1000,
  idleConnections: values['idle-connections'] ? Number(values['idle-connections']) : values.quick ? 2_000 : undefined,
  idleClientProcesses: 4,
  clientProcesses: Number(values['client-processes']),
};
const scaleSettings = {
  scaleConnections: Number(values['scale-connections']),
  scaleEchoRate: Number(values['scale-echo-rate']),
  scaleEchoSeconds: Number(values['scale-echo-seconds']),
  scaleOpenTimeoutMs: Number(values['scale-open-timeout']) * 1000,
};

/**
 * 10,000, unless the open-file limit is too low for a proxy to hold that many: each proxied
 * connection takes two descriptors in one process (HAProxy runs a single process).
 */
function defaultIdleConnections() {
  const fit = Math.floor((childNofile - 500) / 2 / 1000) * 1000;
  if (fit < 10_000)
    log(
      `open-file hard limit is ${childNofile} (cannot be raised here): idle WebSockets measured at ${fit}, not 10,000`,
    );
  return Math.min(10_000, fit);
}

function pick(list, csv, kind, fallback = list) {
  if (!csv) return fallback;
  const names = csv.split(',').map((s) => s.trim());
  for (const name of names)
    if (!list.some((item) => item.name === name))
      throw new Error(`unknown ${kind} ${name}; known: ${list.map((i) => i.name).join(', ')}`);
  return list.filter((item) => names.includes(item.name));
}

/**
 * Whether a scenario runs against a target: proxy-only scenarios skip `direct`, the wss
 * scenarios need a target with a TLS listener, and a target or a scenario may list which of the
 * other it is for.
 */
function runsOn(scenario, target) {
  if (scenario.proxyOnly && !target.proxy) return false;
  if (scenario.tls && !target.tls) return false;
  if (scenario.only && !scenario.only.includes(target.name)) return false;
  return !target.scenarios || target.scenarios.includes(scenario.name);
}

/** Runs the opt-in scale scenario once (its own processes) and saves bench/results/scale-<date>.json. */
async function runScale() {
  const started = new Date();
  const result = await scaleScenario.run({ settings: scaleSettings, log });
  const data = {
    date: started.toISOString(),
    finished: new Date().toISOString(),
    revision: gitRevision(repoRoot),
    machine: machineInfo(),
    settings: { ...scaleSettings, childNofile },
    result,
  };
  const path = writeJson(`scale-${fileStamp(started)}.json`, data);
  console.log(scaleSection(data, basename(path)));
  log(`JSON: ${path}`);
}

/** Re-renders bench/RESULTS.md from a saved full run (e.g. after the report format changed). */
function render(path) {
  const result = JSON.parse(readFileSync(path, 'utf8'));
  const ran = new Set(result.runs.map((r) => r.target));
  const scenarios = allScenarios.filter((s) => result.runs.some((r) => r.scenario === s.name));
  const targets = allTargets.filter((t) => ran.has(t.name));
  const markdown = renderMarkdown(result, result.runs, scenarios, targets, basename(path));
  writeFileSync(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), markdown);
  console.log(markdown);
}

/** The hottest functions of one target's CPU profiles (its primary and workers). */
function printProfiles(dir, target) {
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.cpuprofile')) : [];
  log(
    `${files.length} CPU profile(s) of ${target.label} in ${dir} (primary and workers; open in Chrome DevTools or speedscope)`,
  );
  if (files.length < 3)
    log('expected one per worker plus the primary: a worker that was killed rather than stopped writes none');
  if (files.length === 0) return;
  const { totalMs, rows } = hottestFunctions(files.map((f) => `${dir}/${f}`));
  console.log(
    `Hottest functions by self time (all ${target.label} processes, ${fmt(totalMs / 1000)} s sampled, idle included):\n`,
  );
  console.log('| self ms | share | function |\n| ---: | ---: | --- |');
  for (const row of rows) console.log(`| ${fmt(row.ms)} | ${(row.share * 100).toFixed(1)} % | \`${row.name}\` |`);
  console.log('');
}

async function main() {
  if (values.render) return render(values.render);
  let scenarios = pick(allScenarios, profile ?? values.scenarios, 'scenario', defaultScenarios);
  const standalone = scenarios.filter((s) => s.standalone);
  scenarios = scenarios.filter((s) => !s.standalone);
  if (scenarios.length === 0) {
    for (const scenario of standalone) if (scenario === scaleScenario) await runScale();
    return;
  }
  let targets = pick(allTargets, profile ? (values.targets ?? 'mooring') : values.targets, 'target');
  const unprofilable = profile ? targets.filter((t) => !t.profilable) : [];
  if (unprofilable.length > 0)
    throw new Error(
      `--profile runs Node targets only (Mooring's, the floors, plain http-proxy), not ${unprofilable.map((t) => t.name).join(', ')}`,
    );
  const skipped = [];
  const tlsWanted = scenarios.some((s) => s.tls);
  const noTls = tlsWanted ? tlsUnavailable() : undefined;
  if (noTls)
    for (const scenario of scenarios.filter((s) => s.tls)) {
      skipped.push({ scenario: scenario.name, reason: noTls });
      log(`skipping scenario ${scenario.name}: ${noTls}`);
    }
  if (noTls) scenarios = scenarios.filter((s) => !s.tls);
  const tls = scenarios.some((s) => s.tls) ? makeBenchCertificate() : undefined;
  for (const scenario of scenarios) {
    const verdict = scenario.available?.() ?? { ok: true };
    if (!verdict.ok) {
      skipped.push({ scenario: scenario.name, reason: verdict.reason });
      log(`skipping scenario ${scenario.name}: ${verdict.reason}`);
    }
  }
  scenarios = scenarios.filter((s) => !skipped.some((k) => k.scenario === s.name));
  const available = [];
  for (const target of targets) {
    const verdict = await target.available();
    if (verdict.ok) available.push(target);
    else {
      skipped.push({ target: target.name, reason: verdict.reason });
      log(`skipping target ${target.label}: ${verdict.reason}`);
    }
  }
  targets = available;
  if (scenarios.includes(idleMemoryScenario)) settings.idleConnections ??= defaultIdleConnections();

  const started = new Date();
  const profileDir = profile ? `${resultsDir}profiles/${fileStamp(started)}` : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  // Node 20 refuses --cpu-prof in NODE_OPTIONS; as a node flag of the primary it reaches the
  // cluster workers too, since they are forked with the primary's execArgv.
  const profileArgs = (target) => (profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}/${target.name}`] : []);

  log(
    `${settings.reps} repetition(s) × ${scenarios.length} scenario(s) × ${targets.length} target(s), ${settings.durationMs / 1000} s per timed run`,
  );
  const backend = await startEchoBackend('echo-backend');
  const instances = new Map();
  const startTarget = (target) =>
    target.start({ backend, nodeArgs: profileArgs(target), tls: target.tls ? tls : undefined });
  const runs = [];
  try {
    for (const target of [...targets]) {
      try {
        instances.set(target.name, await startTarget(target));
      } catch (err) {
        // A target that cannot start is reported and left out; the others still compare.
        skipped.push({ target: target.name, reason: `failed to start: ${err.message.split('\n')[0]}` });
        log(`skipping target ${target.label}: failed to start: ${err.message}`);
        targets.splice(targets.indexOf(target), 1);
      }
    }
    for (let rep = 0; rep < settings.reps; rep++) {
      for (const scenario of scenarios) {
        const order = targets.map((_, i) => targets[(i + rep) % targets.length]);
        for (const target of order) {
          if (!runsOn(scenario, target)) continue;
          const run = { rep, scenario: scenario.name, target: target.name };
          let fresh;
          try {
            if (scenario.freshInstance) fresh = await startTarget(target);
            const instance = fresh ?? instances.get(target.name);
            Object.assign(run, await scenario.run({ instance, backend, settings, tls }));
            log(
              `rep ${rep + 1}/${settings.reps} ${scenario.name.padEnd(12)} ${target.label.padEnd(26)} ${describe(run, scenario)}`,
            );
          } catch (err) {
            run.error = err.message;
            log(
              `rep ${rep + 1}/${settings.reps} ${scenario.name.padEnd(12)} ${target.label.padEnd(26)} FAILED: ${err.message}`,
            );
          } finally {
            if (fresh) await fresh.stop();
          }
          runs.push(run);
        }
      }
    }
  } finally {
    for (const instance of instances.values()) await instance.stop();
    await backend.stop();
    tls?.remove();
  }

  if (profileDir) {
    for (const target of targets) printProfiles(`${profileDir}/${target.name}`, target);
    return;
  }

  const routing =
    profile || values.scenarios || values.targets
      ? undefined
      : (log('measuring the cost of one routing decision'), runRoutingDecision());
  const summaries = summariseRuns(runs, scenarios, targets);
  const versions = Object.fromEntries(targets.map((t) => [t.name, t.version()]));
  const certificate = tls?.description;
  versions.wrk = which('wrk') ? versionOf(which('wrk'), ['-v']).split(' [')[0] : 'not installed';
  const result = {
    date: started.toISOString(),
    finished: new Date().toISOString(),
    revision: gitRevision(repoRoot),
    machine: machineInfo(),
    versions,
    settings: { ...settings, childNofile, certificate },
    skipped,
    summaries,
    routing,
    runs,
  };
  const partial = Boolean(settings.quick || values.scenarios || values.targets || values.reps || values.duration);
  const jsonName = `${fileStamp(started)}${settings.quick ? '-quick' : partial ? '-partial' : ''}.json`;
  const jsonPath = writeJson(jsonName, result);
  const markdown = renderMarkdown(result, runs, scenarios, targets, jsonName);
  console.log(markdown);
  log(`JSON: ${jsonPath}`);
  if (!partial) {
    writeFileSync(fileURLToPath(new URL('./RESULTS.md', import.meta.url)), markdown);
    log('wrote bench/RESULTS.md');
  }
  for (const scenario of standalone) if (scenario === scaleScenario) await runScale();
}

/** The latest bench/cluster-scheduling.mjs result, if one was saved. */
function schedulingSection() {
  const files = readdirSync(resultsDir)
    .filter((f) => /^cluster-scheduling-.*\.json$/.test(f))
    .sort();
  if (files.length === 0) return '_Not run yet._';
  const data = JSON.parse(readFileSync(`${resultsDir}${files.at(-1)}`, 'utf8'));
  const direct = data.summary.find((row) => row.target === 'direct')?.handshakesPerSecond.median;
  const rows = data.summary.map(
    (row) =>
      `| ${row.target} | ${fmtSummary(row.handshakesPerSecond)} | ${fmt(row.handshakesPerSecond.median / direct, 2)} | ${row.scheduling ? fmtSummary(row.proxyCpuMicrosPerHandshake) : '–'} |`,
  );
  return [
    `WebSocket handshakes/s (open + close, ${data.settings.concurrency} at a time, ${data.settings.reps} interleaved repetitions of ${data.settings.durationMs / 1000} s, ${data.date.slice(0, 10)}; \`bench/results/${files.at(-1)}\`):`,
    '',
    '| target | handshakes/s | vs direct | proxy CPU µs/handshake |',
    '| --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

/** The latest scale scenario result, if one was saved. */
function latestScaleSection() {
  const files = readdirSync(resultsDir)
    .filter((f) => /^scale-.*\.json$/.test(f))
    .sort();
  if (files.length === 0) return '_Not run yet._';
  return scaleSection(JSON.parse(readFileSync(`${resultsDir}${files.at(-1)}`, 'utf8')), files.at(-1));
}

function describe(run, scenario) {
  const parts = scenario.metrics.map((m) => `${m.label} ${fmt(run.metrics?.[m.key])}`);
  if (run.errors) parts.push(`errors ${run.errors}${run.firstError ? ` (${run.firstError})` : ''}`);
  if (run.clientSaturated) parts.push('CLIENT SATURATED');
  return parts.join(', ');
}

function renderMarkdown(result, runs, scenarios, targets, jsonName) {
  const m = result.machine;
  const backendBound = [
    ...new Set(
      runs
        .filter((r) => backendSaturated(r, result.settings.durationMs))
        .map((r) => `${r.scenario} → ${targets.find((t) => t.name === r.target)?.label}`),
    ),
  ];
  const saturated = [
    ...new Set(
      runs
        .filter((r) => r.clientSaturated)
        .map((r) => `${r.scenario} → ${targets.find((t) => t.name === r.target)?.label}`),
    ),
  ];
  const failures = runs.filter((r) => r.error).map((r) => `- rep ${r.rep + 1}, ${r.scenario}, ${r.target}: ${r.error}`);
  const errorRuns = runs
    .filter((r) => r.errors > 0)
    .map(
      (r) =>
        `- rep ${r.rep + 1}, ${r.scenario}, ${r.target}: ${r.errors} errors${r.firstError ? ` (${r.firstError})` : ''}`,
    );
  return `# Mooring benchmark results

Generated by \`pnpm bench\` (bench/run.mjs) on ${result.date.slice(0, 10)}; raw data in \`bench/results/${jsonName}\`.

- Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Linux ${m.kernel} (${m.arch}); load generator, proxies and backend share these cores.
- Versions: Node ${m.node}; Mooring ${result.versions.mooring ?? '–'} (git ${result.revision}); ${targets
    .filter((t) => t.name !== 'direct' && !t.mooring)
    .map((t) => `${t.label} ${result.versions[t.name]}`)
    .join('; ')}; ${result.versions.wrk}.
- Method: ${result.settings.reps} repetitions; within each, every scenario runs against every target in turn (order rotated per repetition); ${result.settings.durationMs / 1000} s per timed run. Values are **median (min–max)** over repetitions; ratios are taken within each repetition and then summarised. ↑ higher is better, ↓ lower is better.
- Backend: one Node process (bench/lib/echo-backend.mjs: http + ws, permessage-deflate off), shared by all targets. Mooring runs 2 workers on the in-memory state with \`--frame-tracking false\` (Mooring (Redis): the same with \`--redis\` on a private redis-server; Mooring (frame tracking): \`--frame-tracking true\`; Mooring (metrics off): \`--metrics false\`, on HTTP, echo and handshakes only); nginx 2 worker processes; HAProxy 2 threads; the Node floors (bench/lib/node-floor-proxy.mjs) 2 cluster workers accepting for themselves, a keep-alive core \`http\` Agent or an undici Pool (pipelining 1) upstream, a raw byte relay for WebSockets; plain http-proxy the same process with http-proxy both ways (\`web()\` with a keep-alive Agent, \`ws()\` for upgrades), not counted as a floor. WebSocket load: ${result.settings.clientProcesses} client processes (\`ws\`), ${result.settings.idleClientProcesses} for the idle connections; HTTP load: wrk, 2 threads, 64 connections.${result.settings.certificate ? `\n- wss scenarios: nginx, HAProxy, both Node floors, plain http-proxy and Mooring (the plain target) listen with TLS too (Mooring: \`--listen-tls\` with \`--tls-cert\`/\`--tls-key\`), all with the same ${result.settings.certificate} certificate made by openssl for the run; the clients verify it; each wss handshake is a full TLS handshake (the ws client resumes no session).` : ''}
- Idle WebSockets: ${fmt(result.settings.idleConnections)} per proxy${result.settings.idleConnections < 10_000 ? ` (not 10,000: the open-file hard limit here is ${result.settings.childNofile} and cannot be raised without CAP_SYS_RESOURCE; a proxied socket takes 2 descriptors and HAProxy is one process)` : ''}.
- ‡ = in at least one repetition a load-generator process or thread ran at ≥ 90 % of a core, so the client may have limited that figure.
- § = in at least one repetition the backend (one Node process) ran at ≥ 90 % of a core, so the backend, not the proxy, set the pace.

## Medians

${mediansTable(runs, result.summaries, scenarios, targets, result.settings.durationMs)}

## Ratios (Mooring / reference, per repetition)

"Best floor" is, metric by metric and repetition by repetition, the better of the two Node floors (core \`http\` or undici upstream). "/ plain http-proxy" is what Mooring's own work adds to the library that carries its WebSocket upgrades (DESIGN.md keeps it there).

${ratiosTables(runs, scenarios, targets)}

## What the metrics cost (Mooring vs Mooring with \`--metrics false\`)

${featureCostTable(runs, scenarios, targets, 'mooring', 'mooring-metrics-off')}

## What capping the workers' young generation buys (Mooring, \`--worker-semi-space 2\` by default, vs \`--worker-semi-space 0\`)

V8 grows a worker's young generation up to 16 MiB per semi-space under a burst of allocation and keeps it; the idle-memory scenario opens its sockets in such a burst. Capped, the same idle WebSockets hold far less RSS.

${featureCostTable(runs, scenarios, targets, 'mooring', 'mooring-v8-young', ['proxyCpuMicrosPerOp', 'kibPerConnection'])}

## What an old-space floor buys on bulk streams (Mooring with \`--worker-old-space-floor 64\` vs the default 0)

V8 counts the buffers that socket reads allocate (64 KiB each, freed only by the next young collection, every 32 MiB of them) against the old generation's limit, which past start-up sits about 10 MiB above what a worker holds: under a bulk stream it runs full collections several times a second. With the floor it runs none below 64 MiB, for up to that much more heap per worker, which idle WebSockets show as memory per connection.

${featureCostTable(runs, scenarios, targets, 'mooring-old-space-floor', 'mooring', ['proxyCpuMillisPerMB', 'kibPerConnection'])}

## What frame-aware features cost (Mooring with message rules or balancer pings vs Mooring with frame tracking)

Rules: \`bench/targets/mooring.mjs\`'s file (every path, client → backend: UTF-8, JSON at most 16 deep, three RE2 deny patterns; the text echo's JSON passes them). Pings: \`--ping-interval 5s\`, which a busy echo never reaches: the cost of watching for pongs and re-arming the silence timer.

${featureCostTable(runs, scenarios, targets, 'mooring-rules', 'mooring-frames')}

${featureCostTable(runs, scenarios, targets, 'mooring-pings', 'mooring-frames')}

## Where the CPU went (median CPU seconds per timed run; 2 cores give ${fmt((2 * result.settings.durationMs) / 1000)} s)

${cpuTable(
  runs,
  scenarios.filter((s) => !s.freshInstance),
  targets,
)}

"Other" is everything else that ran on the machine meanwhile (the benchmark's own parent process, and any other work on this shared machine).

## HTTP through undici (bench/http-ab.mjs, run separately)

${latestHttpAbSection()}

## Cluster scheduling (bench/cluster-scheduling.mjs, run separately)

${schedulingSection()}

## 100,000 WebSockets on one node (scale scenario, run separately: \`node bench/run.mjs --scenarios scale\`)

${latestScaleSection()}

## Cost of one routing decision (bench/routing-decision.mjs)

${routingTable(result.routing)}

## Skipped

${result.skipped.length ? result.skipped.map((s) => `- ${s.target ? `target ${s.target}` : `scenario ${s.scenario}`}: ${s.reason}`).join('\n') : '- nothing'}

## Load generator

${saturated.length ? `A client process or thread reached ≥ 90 % of a core in: ${saturated.join('; ')}.` : 'No load-generator process or thread reached 90 % of a core in any run.'} On 2 shared cores the clients still take a large share of the CPU (table above), which is why CPU per operation is reported next to throughput.
${backendBound.length ? `\nThe backend process reached ≥ 90 % of a core in: ${backendBound.join('; ')}: there the backend, not the proxy or the client, was the limit.\n` : ''}${failures.length ? `\n## Failed runs\n\n${failures.join('\n')}\n` : ''}${errorRuns.length ? `\n## Runs with errors\n\n${errorRuns.join('\n')}\n` : ''}`;
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
