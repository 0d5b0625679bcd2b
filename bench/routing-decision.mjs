// Cost of one routing decision, in ns, for 3, 30 and 300 backends:
// - hash: pickByHash, including hashing the key, with bounded load (F = 1.25) and without;
// - cookie: decoding and verifying the sticky cookie, then looking up and checking its backend,
//   with the codec's memo of verified values (a returning session) and without it (the HMAC).
// Also the time to build the ring, from scratch and after a health change.
// Pure CPU: no sockets. Build first (`npx tsc -b packages/balancer`), then
//   node bench/routing-decision.mjs
// Each case warms up for 0.2 s, then times batches for 1.5 s (under 2 s per case in all) and
// reports the median batch. Also importable: `measureRoutingDecisions()` returns the rows.
import { pathToFileURL } from 'node:url';
import { HashRing } from '../packages/balancer/dist/routing/hash-ring.js';
import { pickByHash } from '../packages/balancer/dist/routing/bounded-load.js';
import { createCookieCodec, generateSecret } from '../packages/balancer/dist/routing/sticky-cookie.js';

const sizes = [3, 30, 300];
const batchSize = 2_000;
const measureMs = 1_500;

/** Fixed pseudo-random numbers, so every run routes the same keys over the same loads. */
function lcg(seed) {
  let state = seed;
  return (limit) => (state = (state * 48271) % 2147483647) % limit;
}

function setup(count) {
  const random = lcg(count + 1);
  const backends = Array.from({ length: count }, (_, i) => ({
    id: `backend-${i}`,
    url: `http://10.0.${i >> 8}.${i & 255}:8080`,
    weight: 1 + random(3),
    state: 'active',
  }));
  const candidates = backends.map((backend) => ({ backend, liveConnections: random(200), healthy: true }));
  const keys = Array.from({ length: 4096 }, (_, i) => `10.${random(256)}.${random(256)}.${i & 255}`);
  const secrets = [generateSecret(), generateSecret()];
  const codec = createCookieCodec({ secrets });
  const coldCodec = createCookieCodec({ secrets, cacheSize: 0 });
  const cookies = Array.from({ length: 4096 }, () => codec.encode(backends[random(count)].id));
  const buildStart = process.hrtime.bigint();
  const ring = HashRing.build(backends);
  const buildMs = Number(process.hrtime.bigint() - buildStart) / 1e6;
  // A health flap: one backend leaves the routable set, the others keep their points.
  const rebuildStart = process.hrtime.bigint();
  HashRing.build(backends.slice(1), ring);
  const rebuildMs = Number(process.hrtime.bigint() - rebuildStart) / 1e6;
  const byId = new Map(candidates.map((c) => [c.backend.id, c]));
  return { ring, candidates, keys, codec, coldCodec, cookies, byId, buildMs, rebuildMs };
}

/** Median ns per call of `run(i)` over timed batches. */
function measure(run) {
  let sink = 0;
  const warmUntil = performance.now() + 200;
  for (let i = 0; performance.now() < warmUntil; i++) sink += run(i);
  const perCall = [];
  const start = performance.now();
  for (let batch = 0; performance.now() - start < measureMs && batch < 10_000; batch++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batchSize; i++) sink += run(batch * batchSize + i);
    perCall.push(Number(process.hrtime.bigint() - t0) / batchSize);
  }
  perCall.sort((a, b) => a - b);
  if (sink === -1) console.log('unreachable'); // keeps the results alive
  return perCall[perCall.length >> 1];
}

/** Cookie mode: verify the value, then find its backend and check that it still takes sessions. */
function routeByCookie(s, codec, i) {
  const decoded = codec.decode(s.cookies[i & 4095]);
  if ('error' in decoded) return 0;
  const candidate = s.byId.get(decoded.backendId);
  return candidate && candidate.healthy && candidate.backend.state === 'active' ? 1 : 0;
}

/** One row per ring size: ns per decision for each mode, and the ring build time. */
export function measureRoutingDecisions() {
  return sizes.map((count) => {
    const s = setup(count);
    const bounded = { balanceFactor: 1.25 };
    const hashBounded = measure((i) => pickByHash(s.ring, s.keys[i & 4095], s.candidates, bounded).backendId.length);
    const hashPlain = measure((i) => pickByHash(s.ring, s.keys[i & 4095], s.candidates).backendId.length);
    const cookieHit = measure((i) => routeByCookie(s, s.codec, i));
    const cookieHmac = measure((i) => routeByCookie(s, s.coldCodec, i));
    const { buildMs, rebuildMs } = s;
    return { count, points: s.ring.pointCount, buildMs, rebuildMs, hashBounded, hashPlain, cookieHit, cookieHmac };
  });
}

function printTable(rows) {
  const fmt = (ns) => `${Math.round(ns).toLocaleString('en-US')} ns`;
  console.log(`Node ${process.version}, ${process.arch}; median of ${batchSize}-call batches\n`);
  const columns = [
    'backends',
    'ring points',
    'build',
    'rebuild, 1 removed',
    'hash, bounded F=1.25',
    'hash, unbounded',
    'cookie, memo hit',
    'cookie, HMAC',
  ];
  console.log(`| ${columns.join(' | ')} |`);
  console.log(`|${columns.map(() => '---:|').join('')}`);
  for (const r of rows) {
    const cells = [r.count, r.points, `${r.buildMs.toFixed(1)} ms`, `${r.rebuildMs.toFixed(1)} ms`];
    cells.push(fmt(r.hashBounded), fmt(r.hashPlain), fmt(r.cookieHit), fmt(r.cookieHmac));
    console.log(`| ${cells.join(' | ')} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) printTable(measureRoutingDecisions());
