// Mooring targets: 2 workers on the in-memory state; with Redis state; with frame tracking; with
// the data-plane metrics off; with message rules; with balancer pings. The others start only
// once `mooring start` accepts the flags they need (read from its --help), and are skipped with
// a message until then. Every Mooring
// target also listens with TLS when the run has a certificate (the wss scenarios).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/ports.mjs';
import { startService } from '../lib/services.mjs';
import { mooringBin, startMooring } from '../lib/mooring-service.mjs';
import { which } from '../lib/tools.mjs';

/**
 * Frame tracking (RFC 6455 header parsing for gentle closes) is on by default; the plain and
 * Redis targets turn it off, so that the frames target shows what it costs.
 */
const frameTrackingFlag = '--frame-tracking';
const frameTrackingArgs = [frameTrackingFlag, 'true'];
const noFrameTracking = [frameTrackingFlag, 'false'];

let helpText;
function startHelp() {
  helpText ??=
    spawnSync(process.execPath, [mooringBin, 'start', '--help'], { encoding: 'utf8', timeout: 10_000 }).stdout ?? '';
  return helpText;
}

/** A target's `requires`: met when `mooring start --help` lists `flag`. */
function hasStartFlag(flag) {
  return () =>
    startHelp().includes(flag) ? { ok: true } : { ok: false, reason: `\`mooring start\` has no ${flag.trim()} flag` };
}

function built() {
  return existsSync(mooringBin) && startHelp().includes('--listen');
}

export function mooringVersion() {
  try {
    const pkg = JSON.parse(
      readFileSync(fileURLToPath(new URL('../../packages/balancer/package.json', import.meta.url)), 'utf8'),
    );
    return pkg.version;
  } catch {
    return 'unknown';
  }
}

function mooringTarget({
  name,
  label,
  extraArgs = () => [],
  requires = () => ({ ok: true }),
  before,
  after,
  scenarios,
  tls = false,
}) {
  return {
    name,
    label,
    proxy: true,
    mooring: true,
    // Started by `node` itself, so `--profile` can hand it --cpu-prof.
    profilable: true,
    scenarios,
    tls,
    async available() {
      if (!built()) return { ok: false, reason: 'packages/cli/dist is missing: build first (pnpm build)' };
      return requires();
    },
    version: mooringVersion,
    /** @param {{backend: {url: string}, nodeArgs?: string[], tls?: object}} options */
    async start({ backend, nodeArgs = [], tls }) {
      const context = before ? await before() : {};
      const node = await startMooring({
        name,
        backends: [{ id: 'echo0', url: backend.url }],
        workers: 2,
        extraArgs: extraArgs(context),
        nodeArgs,
        tls,
      });
      return {
        url: node.url,
        tlsUrl: node.tlsUrl,
        pids: node.pids,
        stop: async () => {
          // A worker writes its --cpu-prof file when it exits; give the graceful path time.
          await node.stop(15_000);
          if (after) await after(context);
        },
      };
    },
  };
}

export const mooringMemoryTarget = mooringTarget({
  name: 'mooring',
  label: 'Mooring',
  extraArgs: () => noFrameTracking,
  tls: true,
});

export const mooringRedisTarget = mooringTarget({
  name: 'mooring-redis',
  label: 'Mooring (Redis)',
  requires: () => {
    if (!startHelp().includes('--redis'))
      return { ok: false, reason: 'Redis state is not implemented yet (`mooring start` has no --redis flag)' };
    if (!which('redis-server'))
      return { ok: false, reason: 'redis-server is not installed (apt-get install redis-server)' };
    return { ok: true };
  },
  before: async () => {
    const port = await freePort();
    const redis = await startService({
      name: 'redis-server',
      command: which('redis-server'),
      args: ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      isReady: (line) => line.includes('Ready to accept connections'),
    });
    return { redis, port };
  },
  extraArgs: ({ port }) => [
    '--redis',
    `redis://127.0.0.1:${port}`,
    '--prefix',
    `bench${process.pid}`,
    ...noFrameTracking,
  ],
  after: async ({ redis }) => redis.stop(),
});

export const mooringFramesTarget = mooringTarget({
  name: 'mooring-frames',
  label: 'Mooring (frame tracking)',
  requires: hasStartFlag(frameTrackingFlag),
  extraArgs: () => frameTrackingArgs,
});

/**
 * `mooring` with the data-plane instrumentation off (`--metrics false`): the difference between
 * the two is what the metrics cost. Run on the scenarios that issue 11 asks about (and HTTP).
 */
export const mooringMetricsOffTarget = mooringTarget({
  name: 'mooring-metrics-off',
  label: 'Mooring (metrics off)',
  // The trailing space: --metrics, not --metrics-path or another flag it begins.
  requires: hasStartFlag('--metrics '),
  extraArgs: () => [...noFrameTracking, '--metrics', 'false'],
  scenarios: ['http', 'ws-echo', 'ws-handshake'],
});

/**
 * The message rules the rules target reads: the example of the README, on every path, client to
 * backend: UTF-8, JSON at most 16 deep, three RE2 deny patterns. The echo's JSON text passes them.
 */
const benchRules = `rules:
  - path: /
    action: close
    utf8: true
    json: { maxDepth: 16 }
    deny: ['<script', '(?i)drop\\s+table', 'password=']
`;

/** Mooring with frame tracking and the message rules above: against `mooring-frames`, what rules cost. */
export const mooringRulesTarget = mooringTarget({
  name: 'mooring-rules',
  label: 'Mooring (message rules)',
  requires: hasStartFlag('--message-rules'),
  before: () => {
    const dir = mkdtempSync(join(tmpdir(), 'mooring-bench-rules-'));
    const file = join(dir, 'rules.yaml');
    writeFileSync(file, benchRules);
    return { dir, file };
  },
  extraArgs: ({ file }) => [...frameTrackingArgs, '--message-rules', file],
  after: ({ dir }) => rmSync(dir, { recursive: true, force: true }),
  scenarios: ['ws-echo', 'ws-echo-text'],
});

/**
 * Mooring with frame tracking and balancer pings every 5 s of client silence: a busy echo is
 * never pinged, so against `mooring-frames` this is the cost of watching for them (the
 * client direction relayed frame by frame, to consume the pongs, and the silence timer re-armed).
 */
export const mooringPingsTarget = mooringTarget({
  name: 'mooring-pings',
  label: 'Mooring (balancer pings)',
  requires: hasStartFlag('--ping-interval'),
  extraArgs: () => [...frameTrackingArgs, '--ping-interval', '5s'],
  scenarios: ['ws-echo', 'ws-echo-text'],
});

/**
 * `mooring` with V8's own young generation in its workers (`--worker-semi-space 0`, up to 16 MiB
 * per semi-space) instead of Mooring's default 2 MiB cap: against `mooring`, what the cap buys in
 * memory per idle WebSocket and costs in CPU.
 */
export const mooringV8YoungTarget = mooringTarget({
  name: 'mooring-v8-young',
  label: "Mooring (V8's young generation)",
  requires: hasStartFlag('--worker-semi-space'),
  extraArgs: () => [...noFrameTracking, '--worker-semi-space', '0'],
  scenarios: ['http', 'ws-echo', 'ws-handshake', 'idle-memory'],
});

/**
 * `mooring` with an old-space floor in its workers (`--worker-old-space-floor 64`): against
 * `mooring`, what the floor buys in CPU per MB of a bulk stream (V8 counts the 64 KiB read
 * buffers against the old generation's limit and, without the floor, runs full collections
 * several times a second) and costs in memory per idle WebSocket.
 */
export const mooringOldSpaceFloorTarget = mooringTarget({
  name: 'mooring-old-space-floor',
  label: 'Mooring (64 MiB old-space floor)',
  requires: hasStartFlag('--worker-old-space-floor'),
  extraArgs: () => [...noFrameTracking, '--worker-old-space-floor', '64'],
  scenarios: ['ws-stream', 'idle-memory'],
});
