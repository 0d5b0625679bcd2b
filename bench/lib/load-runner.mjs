// Runs a WebSocket load across several client processes and merges what they measured.
// Each process also reports the CPU it used: a process near 100 % of a core was probably the
// limit, and the scenario says so instead of blaming the proxy.
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { createHistogram, merge, percentileMicros } from './histogram.mjs';

const clientScript = fileURLToPath(new URL('../load/ws-load-client.mjs', import.meta.url));
/** A client process busier than this fraction of one core is flagged as a possible bottleneck. */
export const saturatedCpuShare = 0.9;

function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function nextMessage(child, type, timeoutMs) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => cleanup(reject, new Error(`load client: no ${type} after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onMessage = (message) => {
      if (message.type === type) cleanup(resolve, message);
      else if (message.type === 'error') cleanup(reject, new Error(`load client failed: ${message.message}`));
    };
    const onExit = (code) => cleanup(reject, new Error(`load client exited (${code}) while waiting for ${type}`));
    const cleanup = (settle, value) => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      settle(value);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

/**
 * Starts `processes` load clients with `connections` split among them and opens their
 * long-lived sockets (if the mode has any). Returns a handle to run timed phases and release.
 */
export async function prepareLoad({
  mode,
  url,
  connections,
  processes,
  messageBytes,
  text,
  ca,
  localAddresses = () => [],
  parallel,
  handshakeTimeout,
  prepareTimeoutMs = 120_000,
}) {
  const shares = split(connections, processes).filter((n) => n > 0);
  const children = shares.map(() => fork(clientScript, [], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
  const stopAll = () => children.forEach((child) => child.connected && child.disconnect());
  try {
    const prepared = await Promise.all(
      children.map((child, i) => {
        const reply = nextMessage(child, 'prepared', prepareTimeoutMs);
        child.send({
          type: 'prepare',
          mode,
          url,
          connections: shares[i],
          messageBytes,
          text,
          ca,
          parallel,
          handshakeTimeout,
          localAddresses: localAddresses(i),
        });
        return reply;
      }),
    );
    return {
      opened: prepared.reduce((sum, p) => sum + p.opened, 0),
      failed: prepared.reduce((sum, p) => sum + p.failed, 0),
      firstError: prepared.find((p) => p.firstError)?.firstError,
      pids: children.map((child) => child.pid),
      /** A timed phase; `extra.ratePerSecond` (paced mode) is the total, split over the processes. */
      run: (durationMs, extra) => runPhase(children, durationMs, extra),
      release: async () => {
        await Promise.all(
          children.map((child) => {
            const reply = nextMessage(child, 'released', 30_000);
            child.send({ type: 'release' });
            return reply;
          }),
        );
      },
      close: async () => {
        const exits = children.filter((c) => c.exitCode === null).map((c) => once(c, 'exit'));
        stopAll();
        await Promise.all(exits);
      },
    };
  } catch (err) {
    stopAll();
    throw err;
  }
}

async function runPhase(children, durationMs, extra = {}) {
  const startAt = Date.now() + 200;
  const results = await Promise.all(
    children.map((child) => {
      const reply = nextMessage(child, 'result', durationMs + 60_000);
      const rate = extra.ratePerSecond === undefined ? {} : { ratePerSecond: extra.ratePerSecond / children.length };
      child.send({ type: 'go', startAt, durationMs, ...extra, ...rate });
      return reply;
    }),
  );
  const histogram = createHistogram();
  for (const result of results) if (result.histogram) merge(histogram, result.histogram);
  const seconds = durationMs / 1000;
  const clientCpuShares = results.map((r) => r.cpuSeconds / (r.elapsedMs / 1000));
  return {
    count: results.reduce((sum, r) => sum + r.count, 0),
    sent: results.reduce((sum, r) => sum + (r.sent ?? 0), 0),
    bytes: results.reduce((sum, r) => sum + (r.bytes ?? 0), 0),
    errors: results.reduce((sum, r) => sum + r.errors, 0),
    firstError: results.find((r) => r.firstError)?.firstError,
    seconds,
    p50Ms: percentileMicros(histogram, 50) / 1000,
    p99Ms: percentileMicros(histogram, 99) / 1000,
    p999Ms: percentileMicros(histogram, 99.9) / 1000,
    maxMs: percentileMicros(histogram, 100) / 1000,
    clientCpuSeconds: results.reduce((sum, r) => sum + r.cpuSeconds, 0),
    clientCpuShares,
    clientSaturated: clientCpuShares.some((share) => share >= saturatedCpuShare),
  };
}

/** Convenience: prepare, one timed phase, close. */
export async function runLoad(options) {
  const load = await prepareLoad(options);
  try {
    if (load.failed > 0)
      throw new Error(`${load.failed} of ${options.connections} connections failed to open: ${load.firstError}`);
    return await load.run(options.durationMs);
  } finally {
    await load.close();
  }
}
