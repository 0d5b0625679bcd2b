// A/B of the HTTP path: Mooring's CPU per HTTP request as a ratio to the undici Node floor, for
// this checkout ("after") and another one ("before", e.g. the commit before a change), in
// interleaved rounds so that load from other work on a shared machine hits both sides alike.
// Each round is one `bench/run.mjs --scenarios http --targets mooring,node-floor-undici` run of
// that side's own checkout (its own dist/). Writes bench/results/http-ab-<date>.json, which
// RESULTS.md quotes ("HTTP through undici").
//
//   git worktree add --detach /tmp/before <rev> && (cd /tmp/before && pnpm install && pnpm build)
//   node bench/http-ab.mjs --before /tmp/before [--before-label TEXT] [--after-label TEXT] [--rounds 5] [--duration 6]
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fileStamp, machineInfo, writeJson } from './lib/results.mjs';
import { httpAbSection } from './lib/http-ab-report.mjs';

const { values } = parseArgs({
  options: {
    before: { type: 'string' },
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '6' },
    'before-label': { type: 'string' },
    'after-label': { type: 'string' },
  },
});
if (!values.before) {
  console.error(
    'usage: node bench/http-ab.mjs --before DIR [--before-label TEXT] [--after-label TEXT] [--rounds N] [--duration SECONDS]',
  );
  process.exit(2);
}
const after = fileURLToPath(new URL('..', import.meta.url));
const checkouts = { before: values.before, after };
const started = new Date();
const rounds = [];
const revisions = {};

/** One bench/run.mjs run of a side: Mooring's and the floor's figures, from its JSON. */
function runSide(side) {
  const run = spawnSync(
    process.execPath,
    [
      'bench/run.mjs',
      '--scenarios',
      'http',
      '--targets',
      'mooring,node-floor-undici',
      '--reps',
      '1',
      '--duration',
      values.duration,
    ],
    { cwd: checkouts[side], encoding: 'utf8' },
  );
  const jsonPath = /\[bench\] JSON: (\S+)/.exec(run.stdout + run.stderr)?.[1];
  if (run.status !== 0 || !jsonPath) throw new Error(`${side}: bench/run.mjs failed\n${run.stdout}\n${run.stderr}`);
  const result = JSON.parse(readFileSync(jsonPath, 'utf8'));
  revisions[side] = result.revision;
  const of = (target) => result.runs.find((r) => r.scenario === 'http' && r.target === target)?.metrics ?? {};
  const mooring = of('mooring');
  const floor = of('node-floor-undici');
  return {
    mooringCpuMicros: mooring.proxyCpuMicrosPerOp,
    floorCpuMicros: floor.proxyCpuMicrosPerOp,
    mooringRequestsPerSecond: mooring.requestsPerSecond,
    floorRequestsPerSecond: floor.requestsPerSecond,
  };
}

for (let round = 1; round <= Number(values.rounds); round++) {
  for (const side of ['before', 'after']) {
    const figures = runSide(side);
    rounds.push({ round, side, ...figures });
    console.error(
      `[http-ab] round ${round} ${side}: Mooring ${figures.mooringCpuMicros.toFixed(1)} µs, floor ${figures.floorCpuMicros.toFixed(1)} µs, ratio ${(figures.mooringCpuMicros / figures.floorCpuMicros).toFixed(2)}`,
    );
  }
}

const data = {
  date: started.toISOString(),
  machine: machineInfo(),
  settings: { rounds: Number(values.rounds), durationMs: Number(values.duration) * 1000 },
  before: { revision: revisions.before, label: values['before-label'] },
  after: { revision: revisions.after, label: values['after-label'] },
  rounds,
};
const name = `http-ab-${fileStamp(started)}.json`;
writeJson(name, data);
console.log(httpAbSection(data, name));
