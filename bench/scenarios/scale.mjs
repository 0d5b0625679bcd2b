// Scale (issue 14 point 7): 100,000 concurrent WebSockets through one Mooring node, opt-in
// (`--scenarios scale`). It sets up its own processes, sized for the open-file limit of this
// machine (a proxied WebSocket takes 2 descriptors in a Mooring worker, 1 in a client and 1 in
// a backend): enough workers, with `--scheduling rr` so that the primary spreads connections
// evenly (with `none` the kernel's accept race could put more than a worker can hold on one);
// enough echo backend processes, each its own backend; enough client processes, whose source
// addresses are spread over 127.0.0.0/8 so that no (source, destination) pair runs out of
// ephemeral ports. Reports the time to open them all, the RSS they cost Mooring per connection,
// and the echo round trip under that load (open loop, a paced rate over all the sockets in turn,
// so the echoes wake tunnels that were idle). Bounded: opening has a deadline, and every process
// it started is stopped, whatever happens.
import { setTimeout as sleep } from 'node:timers/promises';
import { startEchoBackend } from '../lib/echo-service.mjs';
import { prepareLoad } from '../lib/load-runner.mjs';
import { withCpuAccounting } from '../lib/measure.mjs';
import { startMooring } from '../lib/mooring-service.mjs';
import { cpuDelta, cpuSnapshot, rssBytes, sumRss } from '../lib/proc.mjs';
import { childNofile } from '../lib/services.mjs';
import { backlogDrops, netdevMaxBacklog } from '../lib/host-network.mjs';

/** Share of a process's open-file limit the plan may use (the rest: listeners, pipes, slack). */
const fdShare = 0.7;
/**
 * Handshakes in flight per client process while opening. More only queue: on 2 cores the
 * handshake rate is bound by CPU, and a deep queue pushes handshakes past the client's timeout.
 */
const openParallel = 16;
/** A handshake that has not completed by then fails (the default 10 s is for unloaded runs). */
const openHandshakeTimeoutMs = 60_000;

/** How many of each process a scale run needs for `connections` under the open-file limit. */
export function scalePlan(connections, nofile = childNofile) {
  const budget = Math.floor(nofile * fdShare);
  return {
    connections,
    nofile,
    workers: Math.max(2, Math.ceil((2 * connections) / budget)),
    backends: Math.max(1, Math.ceil(connections / budget)),
    clients: Math.max(1, Math.ceil(connections / budget)),
  };
}

/** Source addresses of client process `i`: 127.<1 + i>.0.1 … .4, away from 127.0.0.1. */
function sourceAddresses(i) {
  return [1, 2, 3, 4].map((host) => `127.${1 + i}.0.${host}`);
}

/** Sum of the series of one metric in Prometheus text. */
function sumOf(text, name) {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

/**
 * The sessions Mooring counts (`mooring_websocket_connections` on /metrics), the best of a few
 * scrapes: a worker busy past the 1 s scrape deadline is left out of one scrape
 * (`mooring_metrics_worker_timeouts_total` grows), not reported as zero sessions.
 */
async function sessionsSeen(adminPort) {
  let best;
  let timeouts;
  for (let i = 0; i < 5; i++) {
    try {
      const text = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      best = Math.max(best ?? 0, sumOf(text, 'mooring_websocket_connections'));
      timeouts = sumOf(text, 'mooring_metrics_worker_timeouts_total');
    } catch {
      // Try again.
    }
    await sleep(1000);
  }
  return { sessions: best, workerTimeouts: timeouts };
}

/**
 * Waits until the node's processes use less than a fifth of a core (handshakes still queued in
 * them finished), at most `limitMs`; returns the seconds waited.
 */
async function settle(pids, limitMs = 60_000) {
  const t0 = performance.now();
  while (performance.now() - t0 < limitMs) {
    const before = cpuSnapshot(pids());
    await sleep(1000);
    if (cpuDelta(before, pids()) < 0.2) break;
  }
  return (performance.now() - t0) / 1000;
}

/** Kills what is left of a process tree after a graceful stop (a worker that outlived its primary). */
function killLeftovers(pids) {
  const left = pids.filter((pid) => rssBytes(pid) > 0);
  for (const pid of left) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Gone in the meantime.
    }
  }
  return left.length;
}

export const scaleScenario = {
  name: 'scale',
  title: '100,000 concurrent WebSockets through one Mooring node',
  optIn: true,
  standalone: true,
  /**
   * @param {{ settings: { scaleConnections: number, scaleEchoRate: number, scaleEchoSeconds: number,
   *   scaleOpenTimeoutMs: number }, log: (...args: unknown[]) => void }} context
   */
  async run({ settings, log }) {
    const plan = scalePlan(settings.scaleConnections);
    log(
      `scale: ${plan.connections} WebSockets; ${plan.workers} Mooring workers (--scheduling rr), ${plan.backends} echo backends, ${plan.clients} client processes (open-file limit ${plan.nofile})`,
    );
    const started = performance.now();
    const backends = [];
    let node;
    let load;
    let nodePids = [];
    try {
      for (let i = 0; i < plan.backends; i++) backends.push(await startEchoBackend(`scale-echo-${i}`));
      node = await startMooring({
        name: 'mooring-scale',
        backends: backends.map((b, i) => ({ id: `echo${i}`, url: b.url })),
        workers: plan.workers,
        scheduling: 'rr',
        extraArgs: ['--shutdown-deadline', '2s'],
        readyTimeoutMs: 120_000,
      });
      await sleep(2000);
      nodePids = node.pids();
      const rssBefore = sumRss(nodePids);
      const primaryRssBefore = rssBytes(node.pid);

      const dropsBefore = backlogDrops();
      const t0 = performance.now();
      load = await prepareLoad({
        mode: 'paced',
        url: node.url.replace(/^http/, 'ws'),
        connections: plan.connections,
        processes: plan.clients,
        messageBytes: 64,
        localAddresses: sourceAddresses,
        parallel: openParallel,
        handshakeTimeout: openHandshakeTimeoutMs,
        prepareTimeoutMs: settings.scaleOpenTimeoutMs,
      });
      const openSeconds = (performance.now() - t0) / 1000;
      log(`scale: ${load.opened} open (${load.failed} failed) in ${openSeconds.toFixed(1)} s`);
      if (load.failed > 0) log(`scale: Mooring's stderr: ${node.stderrTail().slice(-2000) || '(empty)'}`);
      if (load.opened === 0) throw new Error(`no WebSocket opened: ${load.firstError}`);
      // Let queued work, buffers and timers settle before reading RSS and echoing.
      const settleSeconds = await settle(node.pids);
      await sleep(2000);
      nodePids = node.pids();
      const rssAfter = sumRss(nodePids);
      const seen = await sessionsSeen(node.adminPort);
      log(`scale: settled after ${settleSeconds.toFixed(0)} s; Mooring counts ${seen.sessions} sessions`);

      const backendPids = backends.map((b) => b.pid);
      const echo = await withCpuAccounting({ proxyPids: node.pids, backendPids }, () =>
        load.run(settings.scaleEchoSeconds * 1000, { ratePerSecond: settings.scaleEchoRate }),
      );
      log(
        `scale: echo under load: ${echo.count} round trips, p50 ${echo.p50Ms.toFixed(2)} ms, p99 ${echo.p99Ms.toFixed(2)} ms, ${echo.errors} errors`,
      );
      const dropped = dropsBefore === undefined ? undefined : backlogDrops() - dropsBefore;
      if (dropped > 0)
        log(
          `scale: warning: the host dropped ${dropped} packets from its backlog (net.core.netdev_max_backlog ${netdevMaxBacklog()}): lost keep-alive probes abort idle sockets`,
        );
      return {
        plan,
        opened: load.opened,
        failed: load.failed,
        firstError: load.firstError,
        sessionsSeen: seen.sessions,
        scrapeWorkerTimeouts: seen.workerTimeouts,
        settleSeconds,
        openSeconds,
        opensPerSecond: load.opened / openSeconds,
        rssBeforeMiB: rssBefore / 2 ** 20,
        rssAfterMiB: rssAfter / 2 ** 20,
        primaryRssBeforeMiB: primaryRssBefore / 2 ** 20,
        primaryRssAfterMiB: rssBytes(node.pid) / 2 ** 20,
        kibPerConnection: (rssAfter - rssBefore) / load.opened / 1024,
        host: { netdevMaxBacklog: netdevMaxBacklog(), backlogDrops: dropped },
        echo: {
          ratePerSecond: settings.scaleEchoRate,
          seconds: settings.scaleEchoSeconds,
          sent: echo.sent,
          roundTrips: echo.count,
          errors: echo.errors,
          p50Ms: echo.p50Ms,
          p99Ms: echo.p99Ms,
          p999Ms: echo.p999Ms,
          maxMs: echo.maxMs,
          proxyCpuMicrosPerEcho: (echo.cpu.proxySeconds / echo.count) * 1e6,
          cpu: echo.cpu,
        },
      };
    } finally {
      if (load) {
        await load.release().catch(() => {});
        await load.close();
      }
      if (node) {
        nodePids = [...new Set([...nodePids, ...node.pids()])];
        await node.stop(20_000);
        const killed = killLeftovers(nodePids);
        if (killed) log(`scale: killed ${killed} Mooring process(es) left after the stop`);
      }
      for (const backend of backends) await backend.stop();
      log(`scale: done in ${((performance.now() - started) / 1000).toFixed(0)} s, every process stopped`);
    }
  },
};
