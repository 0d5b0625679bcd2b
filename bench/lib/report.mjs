// Turns the runs of `pnpm bench` into summaries (median, min–max), ratios and markdown.
import { fmt, fmtSummary, summarise } from './stats.mjs';

/**
 * runs: [{ rep, scenario, target, metrics?, error?, clientSaturated, cpu }]
 * Returns per scenario → metric → target → summary.
 */
export function summariseRuns(runs, scenarios, targets) {
  const out = {};
  for (const scenario of scenarios) {
    out[scenario.name] = {};
    for (const metric of scenario.metrics) {
      out[scenario.name][metric.key] = {};
      for (const target of targets) {
        const values = runs
          .filter((r) => r.scenario === scenario.name && r.target === target.name && r.metrics)
          .map((r) => r.metrics[metric.key]);
        if (values.some(Number.isFinite)) out[scenario.name][metric.key][target.name] = summarise(values);
      }
    }
  }
  return out;
}

/** A run's value of one metric, or undefined. */
function valueOf(runs, scenario, metricKey, target, rep) {
  const run = runs.find((r) => r.scenario === scenario && r.target === target && r.rep === rep && r.metrics);
  const value = run?.metrics[metricKey];
  return Number.isFinite(value) ? value : undefined;
}

/**
 * A reference for ratios: one target, or (`floors`) the better of several in each repetition,
 * metric by metric: the best floor.
 */
function referenceValue(runs, scenario, metric, reference, rep) {
  if (!reference.floors) return valueOf(runs, scenario, metric.key, reference.name, rep);
  const values = reference.floors
    .map((floor) => valueOf(runs, scenario, metric.key, floor.name, rep))
    .filter((v) => v !== undefined);
  if (values.length === 0) return undefined;
  return metric.better === 'higher' ? Math.max(...values) : Math.min(...values);
}

/** Per-repetition ratios target / reference (paired within a repetition, so drift cancels), summarised. */
export function ratioSummary(runs, scenario, metric, target, reference) {
  const ratios = [];
  for (const run of runs.filter((r) => r.scenario === scenario && r.target === target && r.metrics)) {
    const value = run.metrics[metric.key];
    const refValue = referenceValue(runs, scenario, metric, reference, run.rep);
    if (Number.isFinite(value) && refValue !== undefined && refValue !== 0) ratios.push(value / refValue);
  }
  return ratios.length ? summarise(ratios) : undefined;
}

/** The backend is one Node process: at ≥ 90 % of a core it, not the proxy, set the pace. */
export const backendSaturatedShare = 0.9;

export function backendSaturated(run, durationMs) {
  return Boolean(run.cpu) && run.cpu.backendSeconds / (durationMs / 1000) >= backendSaturatedShare;
}

function saturatedMark(runs, scenario, target, durationMs) {
  const list = runs.filter((r) => r.scenario === scenario && r.target === target);
  const client = list.some((r) => r.clientSaturated) ? ' ‡' : '';
  const backend = list.some((r) => backendSaturated(r, durationMs)) ? ' §' : '';
  return `${client}${backend}`;
}

export function mediansTable(runs, summaries, scenarios, targets, durationMs) {
  const lines = [
    `| metric | ${targets.map((t) => t.label).join(' | ')} |`,
    `| --- |${targets.map(() => ' --- |').join('')}`,
  ];
  for (const scenario of scenarios) {
    for (const metric of scenario.metrics) {
      const cells = targets.map((t) => {
        if (metric.proxyOnly && !t.proxy) return '–';
        const summary = summaries[scenario.name]?.[metric.key]?.[t.name];
        return summary ? `${fmtSummary(summary)}${saturatedMark(runs, scenario.name, t.name, durationMs)}` : '–';
      });
      lines.push(`| ${metric.label} ${metric.better === 'higher' ? '↑' : '↓'} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/**
 * One table per Mooring target: each of its figures over direct, the best Node floor, each
 * floor, nginx and HAProxy (whichever ran), the ratio taken within each repetition.
 */
export function ratiosTables(runs, scenarios, targets) {
  const subjects = targets.filter((t) => t.mooring);
  if (subjects.length === 0) return '_No Mooring target ran._';
  const floors = targets.filter((t) => t.floor);
  const references = [
    ...targets.filter((t) => !t.mooring && !t.proxy),
    ...(floors.length > 1 ? [{ name: 'best-floor', label: 'best floor', proxy: true, floors }] : []),
    ...floors,
    ...targets.filter((t) => !t.mooring && !t.floor && t.proxy),
  ];
  return subjects.map((subject) => ratiosTable(runs, scenarios, subject, references)).join('\n\n');
}

function ratiosTable(runs, scenarios, subject, references) {
  const lines = [
    `### ${subject.label}`,
    '',
    `| metric | ${references.map((r) => `/ ${r.label}`).join(' | ')} |`,
    `| --- |${references.map(() => ' --- |').join('')}`,
  ];
  for (const scenario of scenarios) {
    if (!runs.some((r) => r.scenario === scenario.name && r.target === subject.name)) continue;
    for (const metric of scenario.metrics) {
      const cells = references.map((reference) => {
        if (metric.proxyOnly && !reference.proxy) return '–';
        const summary = ratioSummary(runs, scenario.name, metric, subject.name, reference);
        return summary ? fmtSummary(summary, 2) : '–';
      });
      lines.push(`| ${metric.label} ${metric.better === 'higher' ? '↑' : '↓'} | ${cells.join(' | ')} |`);
    }
  }
  return lines.join('\n');
}

/**
 * CPU per operation (or the other `metricKeys`) of `subject` against `baseline` (two Mooring
 * targets that differ by one feature), on every scenario both ran: medians, the ratio within each
 * repetition, and that ratio as a difference in percent.
 */
export function featureCostTable(
  runs,
  scenarios,
  targets,
  subjectName,
  baselineName,
  metricKeys = ['proxyCpuMicrosPerOp'],
) {
  const subject = targets.find((t) => t.name === subjectName);
  const baseline = targets.find((t) => t.name === baselineName);
  if (!subject || !baseline) return `_Needs the ${subjectName} and ${baselineName} targets in the same run._`;
  const lines = [
    `| scenario | metric | ${subject.label} | ${baseline.label} | ratio | difference |`,
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const scenario of scenarios) {
    const metric = scenario.metrics.find((m) => metricKeys.includes(m.key));
    if (!metric) continue;
    const values = (target) =>
      summarise(
        runs
          .filter((r) => r.scenario === scenario.name && r.target === target && r.metrics)
          .map((r) => r.metrics[metric.key]),
      );
    if (values(subject.name).runs.length === 0 || values(baseline.name).runs.length === 0) continue;
    const ratio = ratioSummary(runs, scenario.name, metric, subject.name, baseline);
    const percent = ratio ? `${ratio.median >= 1 ? '+' : ''}${fmt((ratio.median - 1) * 100, 2)} %` : '–';
    lines.push(
      `| ${scenario.name} | ${metric.label} ↓ | ${fmtSummary(values(subject.name))} | ${fmtSummary(values(baseline.name))} | ${ratio ? fmtSummary(ratio, 3) : '–'} | ${percent} |`,
    );
  }
  return lines.join('\n');
}

/** Where the CPU went in each scenario: median seconds per run for proxy, backend, client, other; idle share. */
export function cpuTable(runs, scenarios, targets) {
  const lines = [
    '| scenario | target | proxy CPU s | backend CPU s | client CPU s | other CPU s | machine idle | busiest client process/thread |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const scenario of scenarios) {
    for (const target of targets) {
      const list = runs.filter((r) => r.scenario === scenario.name && r.target === target.name && r.cpu);
      if (list.length === 0) continue;
      const med = (pick) => fmt(summarise(list.map(pick)).median, 2);
      const busiest = summarise(list.map((r) => Math.max(0, ...(r.clientCpuShares ?? [0])))).median;
      lines.push(
        `| ${scenario.name} | ${target.label} | ${med((r) => r.cpu.proxySeconds)} | ${med((r) => r.cpu.backendSeconds)} | ${med((r) => r.cpu.clientSeconds)} | ` +
          `${med((r) => r.cpu.otherSeconds)} | ${Math.round(summarise(list.map((r) => r.cpu.idleShare)).median * 100)} % | ${Math.round(busiest * 100)} % of a core |`,
      );
    }
  }
  return lines.join('\n');
}

export function routingTable(routing) {
  if (!routing) return '_bench/routing-decision.mjs was not run._';
  if (routing.skipped) return `_Skipped: ${routing.skipped}_`;
  if (routing.text) return routing.text.trim();
  const ns = (value) => (value === undefined ? '–' : `${fmt(value)} ns`);
  const lines = [
    '| backends | ring points | build | rebuild, 1 removed | hash, bounded F=1.25 | hash, unbounded | cookie, memo hit | cookie, HMAC | least-connections | least-connections, failover order asked | round-robin |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of routing.rows) {
    lines.push(
      `| ${r.count} | ${r.points} | ${fmt(r.buildMs)} ms | ${fmt(r.rebuildMs)} ms | ${ns(r.hashBounded)} | ${ns(r.hashPlain)} | ${ns(r.cookieHit)} | ${ns(r.cookieHmac)} | ` +
        `${ns(r.leastConnections)} | ${ns(r.leastConnectionsFailover)} | ${ns(r.roundRobin)} |`,
    );
  }
  return lines.join('\n');
}
