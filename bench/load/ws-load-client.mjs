// One WebSocket load-generating process, driven by its parent over IPC (see lib/load-runner.mjs).
// Several of these run at once so that a single client event loop is never what limits a
// scenario. Modes:
//   handshake  loops of open + close, `connections` at a time
//   echo       `connections` sockets, each sends `messageBytes` and waits for the echo (closed loop)
//   stream     `connections` sockets to /stream, counting bytes received
//   idle       opens `connections` sockets and holds them until released
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
    const result = await run(message.durationMs);
    const cpu = process.cpuUsage(cpuBefore);
    send({ type: 'result', ...result, elapsedMs: performance.now() - t0, cpuSeconds: (cpu.user + cpu.system) / 1e6 });
  } else if (message.type === 'release') {
    for (const ws of prepared?.sockets ?? []) ws.terminate();
    send({ type: 'released' });
  }
}

/** Opens the long-lived sockets of the echo, stream and idle modes, `parallel` handshakes at a time. */
async function prepare({ mode, url, connections, messageBytes = 64, parallel = 64 }) {
  const state = { mode, url, connections, messageBytes, sockets: [], failed: 0, firstError: undefined };
  if (mode === 'handshake') return state;
  const target = mode === 'stream' ? new URL('/stream', url).href : url;
  let next = 0;
  const opener = async () => {
    while (next < connections) {
      next++;
      try {
        state.sockets.push(await open(target));
      } catch (err) {
        state.failed++;
        state.firstError ??= err.message;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, connections) }, opener));
  return state;
}

function open(url) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, wsOptions);
    ws.once('open', () => {
      ws.removeAllListeners('error');
      ws.on('error', () => {});
      resolve(ws);
    });
    ws.once('error', reject);
  });
}

function run(durationMs) {
  const deadline = performance.now() + durationMs;
  switch (prepared.mode) {
    case 'handshake':
      return runHandshakes(deadline);
    case 'echo':
      return runEcho(deadline);
    case 'stream':
      return runStream(deadline);
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
        const ws = new WebSocket(prepared.url, wsOptions);
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

/** Closed-loop echo: one message in flight per socket, round trip recorded per message. */
async function runEcho(deadline) {
  const histogram = createHistogram();
  const payload = Buffer.alloc(prepared.messageBytes, 0x62);
  let count = 0;
  let errors = 0;
  await Promise.all(
    prepared.sockets.map(
      (ws) =>
        new Promise((resolve) => {
          let sentAt = 0;
          const sendOne = () => {
            sentAt = performance.now();
            ws.send(payload, { binary: true });
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
