// Paced handshake pairs: the CPU per WebSocket handshake (open + close) of two targets, in
// interleaved rounds at a fixed rate, as the ratio of the second to the first within each round.
//
// `pnpm bench`'s ws-handshake scenario runs closed loops for a fixed time: a run that goes faster
// handles more events per turn of the event loop and so costs less per handshake, which makes
// the ratio of two targets swing by ±20 % on 2 shared cores. At a fixed rate both sides do the
// same work per second and most rounds agree within about 10 %, though an odd round is off by
// more (a machine shared with other work): take the median of several. Enough to see what a
// change to the handshake path buys when it is worth 10 % or more (a variant of Mooring against
// `mooring`, or Mooring against `http-proxy-plain` for what Mooring adds to the library that
// carries its upgrades). Any proxy target of targets/all.mjs can be either side.
//
//   node bench/handshake-pair.mjs [--targets http-proxy-plain,mooring] [--rate 600] [--count 6000]
//        [--rounds 4] [--concurrency 32]
// Each round is bounded by count and by time (a round that has not finished within twice its
// paced duration plus 30 s fails). To see what a setting costs, pair `mooring` with the target
// that differs by it (e.g. `--targets mooring,mooring-v8-young`). Prints one line per round and
// the median ratio; writes nothing.
import { parseArgs } from 'node:util';
import WebSocket from 'ws';
import { startEchoBackend } from './lib/echo-service.mjs';
import { cpuDelta, cpuSnapshot } from './lib/proc.mjs';
import { median } from './lib/stats.mjs';
import { allTargets } from './targets/all.mjs';

const { values } = parseArgs({
  options: {
    targets: { type: 'string', default: 'http-proxy-plain,mooring' },
    rate: { type: 'string', default: '600' },
    count: { type: 'string', default: '6000' },
    rounds: { type: 'string', default: '4' },
    concurrency: { type: 'string', default: '32' },
  },
});
const rate = Number(values.rate);
const count = Number(values.count);
const rounds = Number(values.rounds);
const concurrency = Number(values.concurrency);
/** A bad argument: one line saying what was wrong, exit 2. */
function refuse(message) {
  console.error(`handshake-pair: ${message}`);
  process.exit(2);
}
for (const [name, value] of Object.entries({ rate, count, rounds, concurrency }))
  if (!Number.isInteger(value) || value < 1) refuse(`--${name} must be a positive integer, got "${values[name]}"`);
const warmUpCount = 2_000;

const names = values.targets.split(',');
if (names.length !== 2) refuse(`--targets takes two targets, got "${values.targets}"`);
const proxies = allTargets.filter((t) => t.proxy);
const pair = names.map(
  (name) =>
    proxies.find((t) => t.name === name) ??
    refuse(`--targets: no proxy target "${name}" (one of ${proxies.map((t) => t.name).join(', ')})`),
);

/** One open + close through `url`; rejects on an error or after 10 s. */
function handshake(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    ws.once('open', () => ws.close(1000));
    ws.once('close', resolve);
    ws.once('error', reject);
  });
}

/** `n` handshakes started at `rate` a second, at most `concurrency` at a time; bounded in time. */
async function paced(url, n) {
  const started = performance.now();
  const limitMs = (2 * n * 1000) / rate + 30_000;
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const due = started + (next++ * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      if (performance.now() - started > limitMs) throw new Error(`a round took over ${limitMs} ms`);
      await handshake(url);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

/** The proxy's CPU per handshake (µs, its whole process tree) over one paced round. */
async function cpuPerHandshake(instance) {
  const url = instance.url.replace(/^http/, 'ws');
  const before = cpuSnapshot(instance.pids());
  await paced(url, count);
  return (cpuDelta(before, instance.pids()) * 1e6) / count;
}

// Both are checked before anything starts: a refusal exits without stopping what runs.
for (const target of pair) {
  const verdict = await target.available();
  if (!verdict.ok) refuse(`${target.name} cannot run here: ${verdict.reason}`);
}
const backend = await startEchoBackend('echo-backend');
const instances = [];
try {
  for (const target of pair) instances.push(await target.start({ backend }));
  for (const instance of instances) await paced(instance.url.replace(/^http/, 'ws'), warmUpCount);
  const ratios = [];
  for (let round = 1; round <= rounds; round++) {
    // Who goes first alternates, so that a drift of the machine's load hits both sides alike.
    const measured = [];
    for (const index of round % 2 ? [0, 1] : [1, 0]) measured[index] = await cpuPerHandshake(instances[index]);
    const [first, second] = measured;
    ratios.push(second / first);
    console.log(
      `round ${round}: ${pair[0].name} ${first.toFixed(0)} µs, ${pair[1].name} ${second.toFixed(0)} µs, ratio ${(second / first).toFixed(2)}`,
    );
  }
  console.log(
    `${pair[1].name} / ${pair[0].name}, CPU per handshake at ${rate}/s: median ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)}) over ${rounds} rounds of ${count}`,
  );
} finally {
  for (const instance of instances) await instance.stop();
  await backend.stop();
}
