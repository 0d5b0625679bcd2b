// One WebSocket load-generating process, driven by its parent over IPC (see lib/load-runner.mjs).
// Several of these run at once so that a single client event loop is never what limits a
// scenario. Modes:
//   handshake  loops of open + close, `connections` at a time
//   echo       `connections` sockets, each sends `messageBytes` and waits for the echo (closed loop)
//   stream     `connections` sockets to /stream, counting bytes received
//   idle       opens `connections` sockets and holds them until released
//   paced      opens and holds like idle; its timed run sends `ratePerSecond` messages a second
//              spread over all of them (open loop: a slow echo does not slow the sender), each
//              round trip recorded (the scale scenario's echo under load)
// A `wss:` url is verified against the `ca` the parent passes (the run's own certificate);
// `localAddresses` spreads the sockets' source addresses over 127.0.0.0/8, so that one process
// can hold more connections to one port than there are ephemeral ports.
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { createHistogram, record } from '../lib/histogram.mjs';

const wsOptions = { perMessageDeflate: false, handshakeTimeout: 10_000, maxPayload: 4 << 20 };
let prepared;

process.on('message', (message) => {
  handle(message).catch((err) => send({ type: 'error', message: err.stack ?? String(err) }));
});
process.on('disconnect', () => process.exit(0));

function send(message) {
  if (process.connected) process.send(message);
}

async function handle(message) {
  if (message.type === 'prepare') {
    prepared = await prepare(message);
    send({
      type: 'prepared',
      opened: prepared.sockets.length,
      failed: prepared.failed,
      firstError: prepared.firstError,
    });
  } else if (message.type === 'go') {
    await sleep(Math.max(0, message.startAt - Date.now()));
    const cpuBefore = process.cpuUsage();
    const t0 = performance.now();
    const result = await run(message.durationMs, message);
    const cpu = process.cpuUsage(cpuBefore);
    send({ type: 'result', ...result, elapsedMs: performance.now() - t0, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  } else if (message.type === 'release') {
    for (const ws of prepared?.sockets ?? []) ws.terminate();
    send({ type: 'released' });
  }
}

/** Opens the long-lived sockets of the echo, stream and idle modes, `parallel` handshakes at a time. */
async function prepare({
  mode,
  url,
  connections,
  messageBytes = 64,
  text = false,
  parallel = 64,
  ca,
  localAddresses = [],
  handshakeTimeout,
}) {
  const state = { mode, url, connections, messageBytes, text, sockets: [], failed: 0, firstError: undefined };
  state.options = { ...wsOptions, ...(ca ? { ca } : {}), ...(handshakeTimeout ? { handshakeTimeout } : {}) };
  if (mode === 'handshake') return state;
  const target = mode === 'stream' ? new URL('/stream', url).href : url;
  let next = 0;
  const opener = async () => {
    while (next < connections) {
      const localAddress = localAddresses.length ? localAddresses[next % localAddresses.length] : undefined;
      next++;
      try {
        state.sockets.push(await open(target, localAddress ? { ...state.options, localAddress } : state.options));
      } catch (err) {
        state.failed++;
        state.firstError ??= err.message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, connections) }, opener));
  return state;
}

function open(url, options) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, options);
    ws.once('open', () => {
      ws.removeAllListeners('error');
      ws.on('error', () => {});
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

function run(durationMs, { ratePerSecond } = {}) {
  const deadline = performance.now() + durationMs;
  switch (prepared.mode) {
    case 'handshake':
      return runHandshakes(deadline);
    case 'echo':
      return runEcho(deadline);
    case 'stream':
      return runStream(deadline);
    case 'paced':
      return runPaced(deadline, ratePerSecond);
    default:
      throw new Error(`mode ${prepared.mode} has no timed run`);
  }
}

/** Open + close loops; a handshake counts when its close completes before the deadline. */
async function runHandshakes(deadline) {
  const histogram = createHistogram();
  let count = 0;
  let errors = 0;
  let firstError;
  const loop = async () => {
    while (performance.now() < deadline) {
      const t0 = performance.now();
      const outcome = await new Promise((resolve) => {
        const ws = new WebSocket(prepared.url, prepared.options);
        let opened = false;
        let failure;
        ws.on('open', () => {
          opened = true;
          ws.close(1000);
        });
        ws.on('error', (err) => {
          failure ??= err.message;
        });
        ws.on('close', () => resolve({ opened, failure }));
      });
      const t1 = performance.now();
      if (outcome.opened && !outcome.failure) {
        if (t1 <= deadline) {
          count++;
          record(histogram, (t1 - t0) * 1000);
        }
      } else {
        errors++;
        firstError ??= outcome.failure ?? 'closed before open';
        // A failing target must not turn the loop into a busy spin.
        await sleep(10);
      }
    }
  };
  await Promise.all(Array.from({ length: prepared.connections }, loop));
  return { count, errors, firstError, histogram: Array.from(histogram) };
}

/**
 * A chat-like JSON text message of exactly `bytes` (at least 40): what message rules look into,
 * since they check text messages only.
 */
function jsonText(bytes) {
  const frame = '{"type":"chat.message","room":"r1","text":""}';
  return Buffer.from(
    frame.replace('""', `"${'hello mooring '.repeat(bytes).slice(0, Math.max(0, bytes - frame.length))}"`),
  );
}

/** Closed-loop echo: one message in flight per socket, round trip recorded per message. */
async function runEcho(deadline) {
  const histogram = createHistogram();
  const payload = prepared.text ? jsonText(prepared.messageBytes) : Buffer.alloc(prepared.messageBytes, 0x62);
  const binary = !prepared.text;
  let count = 0;
  let errors = 0;
  await Promise.all(
    prepared.sockets.map(
      (ws) =>
        new Promise((resolve) => {
          let sentAt = 0;
          const sendOne = () => {
            sentAt = performance.now();
            ws.send(payload, { binary });
          };
          ws.on('message', () => {
            const now = performance.now();
            if (now <= deadline) {
              count++;
              record(histogram, (now - sentAt) * 1000);
              sendOne();
            } else {
              ws.removeAllListeners('message');
              resolve();
            }
          });
          ws.on('close', () => {
            if (performance.now() < deadline) errors++;
            resolve();
          });
          sendOne();
        }),
    ),
  );
  return { count, errors, histogram: Array.from(histogram) };
}

/** Counts bytes the backend streams to every socket between now and the deadline. */
async function runStream(deadline) {
  let bytes = 0;
  let messages = 0;
  let errors = 0;
  const onMessage = (data) => {
    if (performance.now() <= deadline) {
      bytes += data.length;
      messages++;
    }
  };
  for (const ws of prepared.sockets) {
    ws.on('message', onMessage);
    ws.on('close', () => {
      if (performance.now() < deadline) errors++;
    });
  }
  await sleep(Math.max(0, deadline - performance.now()));
  for (const ws of prepared.sockets) ws.terminate();
  return { count: messages, bytes, errors };
}

/**
 * Open-loop echo over every held socket in turn, `ratePerSecond` messages a second (sent in
 * 10 ms ticks); a message's round trip ends with its echo. Messages still unanswered at the
 * deadline get a grace second, then count as errors.
 */
async function runPaced(deadline, ratePerSecond) {
  const histogram = createHistogram();
  const payload = Buffer.alloc(prepared.messageBytes, 0x62);
  const sockets = prepared.sockets;
  const sentAt = new Map();
  let count = 0;
  let sent = 0;
  let errors = 0;
  let cursor = 0;
  const onMessage = (ws) => () => {
    const queue = sentAt.get(ws);
    const t0 = queue?.shift();
    if (t0 === undefined) return;
    count++;
    record(histogram, (performance.now() - t0) * 1000);
  };
  for (const ws of sockets) {
    sentAt.set(ws, []);
    ws.on('message', onMessage(ws));
  }
  const tickMs = 10;
  const start = performance.now();
  while (performance.now() < deadline && sockets.length > 0) {
    const due = Math.floor(((performance.now() - start) / 1000) * ratePerSecond);
    while (sent < due) {
      const ws = sockets[cursor];
      cursor = (cursor + 1) % sockets.length;
      sent++;
      if (ws.readyState !== WebSocket.OPEN) {
        errors++;
        continue;
      }
      sentAt.get(ws).push(performance.now());
      ws.send(payload, { binary: true });
    }
    await sleep(tickMs);
  }
  await sleep(1000);
  let unanswered = 0;
  for (const queue of sentAt.values()) unanswered += queue.length;
  for (const ws of sockets) ws.removeAllListeners('message');
  return { count, sent, errors: errors + unanswered, histogram: Array.from(histogram) };
}
