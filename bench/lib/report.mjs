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

/** Per-repetition ratios target / reference (paired within a repetition, so drift cancels), summarised. */
export function ratioSummary(runs, scenario, metricKey, target, reference) {
  const ratios = [];
  for (const run of runs.filter((r) => r.scenario === scenario && r.target === target && r.metrics)) {
    const ref = runs.find((r) => r.scenario === scenario && r.target === reference && r.rep === run.rep && r.metrics);
    const value = run.metrics[metricKey];
    const refValue = ref?.metrics[metricKey];
    if (Number.isFinite(value) && Number.isFinite(refValue) && refValue !== 0) ratios.push(value / refValue);
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

export function ratiosTable(runs, scenarios, targets) {
  const subjects = targets.filter((t) => t.mooring);
  const references = targets.filter((t) => !t.mooring);
  const columns = subjects.flatMap((s) => references.map((r) => ({ subject: s, reference: r })));
  if (columns.length === 0) return '_No Mooring target ran._';
  const lines = [
    `| metric | ${columns.map((c) => `${c.subject.label} / ${c.reference.label}`).join(' | ')} |`,
    `| --- |${columns.map(() => ' --- |').join('')}`,
  ];
  for (const scenario of scenarios) {
    for (const metric of scenario.metrics) {
      const cells = columns.map((c) => {
        if (metric.proxyOnly && !c.reference.proxy) return '–';
        const summary = ratioSummary(runs, scenario.name, metric.key, c.subject.name, c.reference.name);
        return summary ? fmtSummary(summary, 2) : '–';
      });
      lines.push(`| ${metric.label} ${metric.better === 'higher' ? '↑' : '↓'} | ${cells.join(' | ')} |`);
    }
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
  const ns = (value) => `${fmt(value)} ns`;
  const lines = [
    '| backends | ring points | build | rebuild, 1 removed | hash, bounded F=1.25 | hash, unbounded | cookie, memo hit | cookie, HMAC |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of routing.rows) {
    lines.push(
      `| ${r.count} | ${r.points} | ${fmt(r.buildMs)} ms | ${fmt(r.rebuildMs)} ms | ${ns(r.hashBounded)} | ${ns(r.hashPlain)} | ${ns(r.cookieHit)} | ${ns(r.cookieHmac)} |`,
    );
  }
  return lines.join('\n');
}
