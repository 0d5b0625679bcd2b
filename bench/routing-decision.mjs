// Cost of one routing decision, in ns, for 3, 30 and 300 backends, as a worker pays it: a
// SessionRouter deciding over a BackendPool with live counts. A decision finds its first
// candidate and ranks the failover order only when a failover asks (builds before that ranked
// the whole order every time: with --baseline, those pay for it in every column).
// - lookup: the ring alone, HashRing#lookup (key hash + the consistent-hash package's lookup);
// - hash: sticky by client address, with bounded load (F = 1.25) and without;
// - cookie: a pinned session, with the codec's memo of verified values (a returning session)
//   and without it (the HMAC), the failover order ranked after the pinned backend;
// - least-connections and round-robin: no stickiness; least-connections also with the failover
//   order asked for (`order.at(1)`: what a decision costs when its first candidate fails).
// Also the time to build the ring, from scratch and again with one backend removed (reusing the
// points of the others), and its heap (run node with --expose-gc to measure it).
// Pure CPU: no sockets. Build first (`npx tsc -b packages/balancer`), then
//   node bench/routing-decision.mjs [--baseline DIST]
// where DIST is the packages/balancer/dist of an earlier build (e.g. a checkout of an older
// commit): both are measured in the same run, case by case, and the table gives the ratios.
// Each case warms up for 0.2 s, then times batches for 1.5 s and reports the median batch.
// Also importable: `measureRoutingDecisions()` returns the rows.
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const sizes = [3, 30, 300];
const batchSize = 2_000;
const measureMs = 1_500;
const currentDist = new URL('../packages/balancer/dist/', import.meta.url);
const modes = [
  'lookup',
  'hashPlain',
  'hashBounded',
  'cookieHit',
  'cookieHmac',
  'leastConnections',
  'leastConnectionsFailover',
  'roundRobin',
];

/** The routing modules of one build. */
async function load(dist) {
  const module = (path) => import(new URL(path, dist).href);
  const [ring, pool, router, cookie, key] = await Promise.all([
    module('routing/hash-ring.js'),
    module('routing/backend-pool.js'),
    module('routing/session-router.js'),
    module('routing/sticky-cookie.js'),
    module('routing/hash-key.js'),
  ]);
  return { ...ring, ...pool, ...router, ...cookie, ...key };
}

/** Fixed pseudo-random numbers, so every run routes the same keys over the same loads. */
function lcg(seed) {
  let state = seed;
  return (limit) => (state = (state * 48271) % 2147483647) % limit;
}

/** The same fleet, keys and cookies for every build: weights 1–3, 0–199 live sessions each. */
function fleet(count) {
  const random = lcg(count + 1);
  const backends = Array.from({ length: count }, (_, i) => ({
    id: `backend-${i}`,
    url: `http://10.0.${i >> 8}.${i & 255}:8080`,
    weight: 1 + random(3),
    state: 'active',
  }));
  const live = backends.map(() => random(200));
  const addresses = Array.from({ length: 4096 }, (_, i) => `10.${random(256)}.${random(256)}.${i & 255}`);
  const pinned = Array.from({ length: 4096 }, () => backends[random(count)].id);
  return { backends, live, addresses, pinned };
}

/** Routers and requests of one build over `fleet`, and its ring's build times. */
function setup(lib, { backends, live, addresses, pinned }) {
  const pool = new lib.BackendPool();
  pool.setBackends(backends);
  backends.forEach((backend, i) => {
    for (let n = 0; n < live[i]; n++) pool.acquire(backend.id);
  });
  const secrets = [lib.generateSecret(), lib.generateSecret()];
  const codec = lib.createCookieCodec({ secrets });
  const coldCodec = lib.createCookieCodec({ secrets, cacheSize: 0 });
  const key = lib.parseHashKeySpec('ip');
  const cookieMode = (c) => ({ mode: 'cookie', cookieName: 'mooring', codec: c });
  const routers = {
    hashPlain: new lib.SessionRouter(pool, 'least-connections', { mode: 'hash', key }),
    hashBounded: new lib.SessionRouter(pool, 'least-connections', { mode: 'hash', key, balanceFactor: 1.25 }),
    cookieHit: new lib.SessionRouter(pool, 'least-connections', cookieMode(codec)),
    cookieHmac: new lib.SessionRouter(pool, 'least-connections', cookieMode(coldCodec)),
    leastConnections: new lib.SessionRouter(pool, 'least-connections', { mode: 'none' }),
    roundRobin: new lib.SessionRouter(pool, 'round-robin', { mode: 'none' }),
  };
  const byAddress = addresses.map((clientAddress) => ({ clientAddress, headers: {}, url: '/' }));
  const byCookie = pinned.map((id) => ({
    clientAddress: '10.0.0.1',
    headers: { cookie: `mooring=${codec.encode(id)}` },
    url: '/',
  }));
  const heapBefore = heapUsed();
  let start = performance.now();
  const ring = lib.HashRing.build(backends);
  const buildMs = performance.now() - start;
  const ringHeapMB = heapBefore === undefined ? undefined : (heapUsed() - heapBefore) / 2 ** 20;
  start = performance.now();
  lib.HashRing.build(backends.slice(1), ring);
  const rebuildMs = performance.now() - start;
  return { ring, routers, byAddress, byCookie, addresses, buildMs, rebuildMs, ringHeapMB };
}

/** Heap in use after a full collection, when node runs with --expose-gc. */
function heapUsed() {
  if (typeof globalThis.gc !== 'function') return undefined;
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/** The call timed for a mode: returns a number so the result stays alive. */
function caseOf(s, mode) {
  if (mode === 'lookup') return (i) => s.ring.lookup(s.addresses[i & 4095]).length;
  const failover = mode === 'leastConnectionsFailover';
  const router = s.routers[failover ? 'leastConnections' : mode];
  const requests = mode.startsWith('cookie') ? s.byCookie : s.byAddress;
  return (i) => candidatesOf(router.route(requests[i & 4095]).order, failover);
}

/**
 * What a decision hands out: builds before the lazy order returned the whole order as an array;
 * since, the first candidate, and the failover order when asked for (`order.at(1)`).
 */
function candidatesOf(order, failover) {
  if (Array.isArray(order)) return order.length;
  return failover ? (order.at(1) === undefined ? 1 : 2) : order.first === undefined ? 0 : 1;
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

function row(count, s, timings) {
  const { buildMs, rebuildMs, ringHeapMB } = s;
  return { count, points: s.ring.pointCount, buildMs, rebuildMs, ringHeapMB, ...timings };
}

const current = await load(currentDist);

/**
 * One row per ring size: ns per decision for each mode, and the ring's build time. With a
 * `baseline` build (`load(dist)`), each row also has `baseline`: the same figures for that build,
 * measured alternately with the current one so that both see the same machine.
 */
export function measureRoutingDecisions(baseline) {
  const rows = [];
  for (const count of sizes) {
    const f = fleet(count);
    const now = setup(current, f);
    const before = baseline && setup(baseline, f);
    const timings = {};
    const beforeTimings = {};
    for (const mode of modes) {
      if (before) beforeTimings[mode] = measure(caseOf(before, mode));
      timings[mode] = measure(caseOf(now, mode));
    }
    rows.push({ ...row(count, now, timings), ...(before && { baseline: row(count, before, beforeTimings) }) });
  }
  return rows;
}

const columns = [
  ['lookup', 'ring lookup'],
  ['hashPlain', 'hash'],
  ['hashBounded', 'hash, bounded F=1.25'],
  ['cookieHit', 'cookie, memo hit'],
  ['cookieHmac', 'cookie, HMAC'],
  ['leastConnections', 'least-connections'],
  ['leastConnectionsFailover', 'least-connections, failover order asked'],
  ['roundRobin', 'round-robin'],
];

function printTable(rows) {
  const fmt = (ns) => `${Math.round(ns).toLocaleString('en-US')} ns`;
  const compared = rows[0]?.baseline !== undefined;
  console.log(`Node ${process.version}, ${process.arch}; median of ${batchSize}-call batches`);
  if (compared) console.log('Each cell: now (baseline, now ÷ baseline)');
  const heads = ['backends', 'ring points', 'build', 'rebuild, 1 removed', 'ring heap', ...columns.map(([, h]) => h)];
  console.log(`\n| ${heads.join(' | ')} |`);
  console.log(`|${heads.map(() => '---:|').join('')}`);
  for (const r of rows) {
    const b = r.baseline;
    const pair = (value, old, unit) =>
      b ? `${unit(value)} (${unit(old)}, ${(value / old).toFixed(2)}×)` : unit(value);
    const ms = (value) => `${value.toFixed(1)} ms`;
    const mb = (value) => (value === undefined ? '–' : `${value.toFixed(1)} MiB`);
    const cells = [r.count, r.points, pair(r.buildMs, b?.buildMs, ms), pair(r.rebuildMs, b?.rebuildMs, ms)];
    cells.push(b && r.ringHeapMB !== undefined ? `${mb(r.ringHeapMB)} (${mb(b.ringHeapMB)})` : mb(r.ringHeapMB));
    for (const [mode] of columns) cells.push(pair(r[mode], b?.[mode], fmt));
    console.log(`| ${cells.join(' | ')} |`);
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const flag = process.argv.indexOf('--baseline');
  const baseline = flag < 0 ? undefined : await load(pathToFileURL(`${resolve(process.argv[flag + 1])}/`));
  printTable(measureRoutingDecisions(baseline));
}
