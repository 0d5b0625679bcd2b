// The WebSocket scenarios: echo round trips, streamed throughput and handshake rate, and echo
// and handshakes over TLS (wss: the run's ECDSA P-256 certificate on every target's TLS
// listener, verified by the clients; every handshake is a full TLS handshake, since the ws
// client does not resume sessions). Load comes from several client processes
// (lib/load-runner.mjs); CPU is accounted per phase.
import { prepareLoad } from '../lib/load-runner.mjs';
import { withCpuAccounting } from '../lib/measure.mjs';

const wsUrl = (url) => url.replace(/^http/, 'ws');

async function timedPhase({ instance, backend, mode, connections, processes, messageBytes, text, durationMs, tls }) {
  const url = wsUrl(tls ? instance.tlsUrl : instance.url);
  const load = await prepareLoad({ mode, url, connections, processes, messageBytes, text, ca: tls?.certPem });
  try {
    if (load.failed > 0)
      throw new Error(`${load.failed} of ${connections} connections failed to open: ${load.firstError}`);
    return await withCpuAccounting({ proxyPids: instance.pids, backendPids: [backend.pid] }, () =>
      load.run(durationMs),
    );
  } finally {
    await load.close();
  }
}

/** A scenario's result: its metrics plus what every timed phase reports about errors and CPU. */
function phaseResult(r, metrics) {
  return {
    metrics,
    errors: r.errors,
    clientSaturated: r.clientSaturated,
    clientCpuShares: r.clientCpuShares,
    cpu: r.cpu,
  };
}

function perOp(seconds, ops, scale) {
  return ops > 0 ? (seconds / ops) * scale : NaN;
}

function echoScenario({ name, title, prefix, tls, text = false, only }) {
  return {
    name,
    title,
    tls,
    only,
    metrics: [
      { key: 'messagesPerSecond', label: `${prefix}echo messages/s`, better: 'higher' },
      { key: 'p50Ms', label: `${prefix}echo round trip p50 (ms)`, better: 'lower' },
      { key: 'p99Ms', label: `${prefix}echo round trip p99 (ms)`, better: 'lower' },
      { key: 'proxyCpuMicrosPerOp', label: `${prefix}proxy CPU per echo (µs)`, better: 'lower', proxyOnly: true },
    ],
    run: (context) => runEcho(context, tls, text),
  };
}

async function runEcho({ instance, backend, settings, tls: certificate }, tls, text) {
  const r = await timedPhase({
    instance,
    backend,
    mode: 'echo',
    connections: 64,
    processes: settings.clientProcesses,
    messageBytes: 64,
    text,
    durationMs: settings.durationMs,
    tls: tls ? certificate : undefined,
  });
  return phaseResult(r, {
    messagesPerSecond: r.count / r.seconds,
    p50Ms: r.p50Ms,
    p99Ms: r.p99Ms,
    proxyCpuMicrosPerOp: perOp(r.cpu.proxySeconds, r.count, 1e6),
  });
}

export const wsEchoScenario = echoScenario({
  name: 'ws-echo',
  title: 'WebSocket echo, 64 B messages, 64 connections (one in flight each)',
  prefix: '',
  tls: false,
});

/**
 * The echo with 64-byte JSON text messages, which message rules read (they check text only):
 * run on the Mooring targets that differ by frame-aware features alone, for what each costs.
 */
export const wsEchoTextScenario = echoScenario({
  name: 'ws-echo-text',
  title: 'WebSocket echo, 64 B JSON text messages, 64 connections: frame-aware features on and off',
  prefix: 'text ',
  tls: false,
  text: true,
  only: ['mooring-frames', 'mooring-rules', 'mooring-pings'],
});

export const wssEchoScenario = echoScenario({
  name: 'wss-echo',
  title: 'WebSocket echo over TLS (wss, ECDSA P-256), 64 B messages, 64 connections',
  prefix: 'wss ',
  tls: true,
});

export const wsStreamScenario = {
  name: 'ws-stream',
  title: 'WebSocket stream, 64 KiB messages from the backend, 16 connections',
  metrics: [
    { key: 'megabytesPerSecond', label: 'stream MB/s', better: 'higher' },
    { key: 'proxyCpuMillisPerMB', label: 'proxy CPU per MB (ms)', better: 'lower', proxyOnly: true },
  ],
  async run({ instance, backend, settings }) {
    const r = await timedPhase({
      instance,
      backend,
      mode: 'stream',
      connections: 16,
      processes: settings.clientProcesses,
      durationMs: settings.durationMs,
    });
    const megabytes = r.bytes / 1e6;
    return phaseResult(r, {
      megabytesPerSecond: megabytes / r.seconds,
      proxyCpuMillisPerMB: perOp(r.cpu.proxySeconds, megabytes, 1e3),
    });
  },
};

function handshakeScenario({ name, title, prefix, what, tls }) {
  return {
    name,
    title,
    tls,
    metrics: [
      { key: 'handshakesPerSecond', label: `${prefix}handshakes/s`, better: 'higher' },
      { key: 'p99Ms', label: `${prefix}handshake (open + close) p99 (ms)`, better: 'lower' },
      { key: 'proxyCpuMicrosPerOp', label: `proxy CPU per ${what} (µs)`, better: 'lower', proxyOnly: true },
    ],
    run: (context) => runHandshakes(context, tls),
  };
}

async function runHandshakes({ instance, backend, settings, tls: certificate }, tls) {
  const r = await timedPhase({
    instance,
    backend,
    mode: 'handshake',
    connections: 32,
    processes: settings.clientProcesses,
    durationMs: settings.durationMs,
    tls: tls ? certificate : undefined,
  });
  if (r.count === 0) throw new Error(`no handshake completed: ${r.firstError ?? 'unknown error'}`);
  const metrics = {
    handshakesPerSecond: r.count / r.seconds,
    p99Ms: r.p99Ms,
    proxyCpuMicrosPerOp: perOp(r.cpu.proxySeconds, r.count, 1e6),
  };
  return { ...phaseResult(r, metrics), firstError: r.firstError };
}

export const wsHandshakeScenario = handshakeScenario({
  name: 'ws-handshake',
  title: 'WebSocket handshakes (open + close), 32 at a time',
  prefix: '',
  what: 'handshake',
  tls: false,
});

export const wssHandshakeScenario = handshakeScenario({
  name: 'wss-handshake',
  title: 'WebSocket handshakes over TLS (TCP + full TLS handshake + upgrade + close), 32 at a time',
  prefix: 'wss ',
  what: 'TLS handshake (wss)',
  tls: true,
});
