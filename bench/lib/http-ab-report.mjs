// The "HTTP through undici" section of RESULTS.md, from the latest bench/http-ab.mjs result.
import { readdirSync, readFileSync } from 'node:fs';
import { resultsDir } from './results.mjs';
import { fmt } from './stats.mjs';

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const spread = (values) => `${fmt(median(values))} (${fmt(Math.min(...values))}–${fmt(Math.max(...values))})`;

/** Markdown for one A/B result (bench/results/http-ab-<date>.json). */
export function httpAbSection(data, file) {
  const sides = ['before', 'after'].map((side) => {
    const rounds = data.rounds.filter((round) => round.side === side);
    return {
      side,
      revision: data[side].label ?? data[side].revision,
      mooring: spread(rounds.map((round) => round.mooringCpuMicros)),
      floor: spread(rounds.map((round) => round.floorCpuMicros)),
      ratio: spread(rounds.map((round) => round.mooringCpuMicros / round.floorCpuMicros)),
    };
  });
  return [
    `${data.rounds.length / 2} interleaved rounds (before, after, before, …; ${data.settings.durationMs / 1000} s of wrk each, 64 connections), ${data.date.slice(0, 10)}, \`bench/results/${file}\`. Each round runs Mooring and the undici Node floor back to back, so the ratio is taken within a round; median (min–max) over rounds. The machine's 2 cores were shared with other work: compare ratios, not absolute figures.`,
    '',
    '| Mooring | code | proxy CPU per request (µs) ↓ | Node floor (undici), same rounds (µs) | Mooring / floor ↓ |',
    '| --- | --- | --- | --- | --- |',
    ...sides.map(
      (s) =>
        `| ${s.side === 'before' ? 'before: http-proxy core-http pass' : 'after: undici Pool per backend'} | ${s.revision} | ${s.mooring} | ${s.floor} | ${s.ratio} |`,
    ),
  ].join('\n');
}

/** The latest A/B result, if one was saved. */
export function latestHttpAbSection() {
  const files = readdirSync(resultsDir)
    .filter((f) => /^http-ab-.*\.json$/.test(f))
    .sort();
  if (files.length === 0) return '_Not run yet._';
  return httpAbSection(JSON.parse(readFileSync(`${resultsDir}${files.at(-1)}`, 'utf8')), files.at(-1));
}
