import { once } from 'node:events';
import {
  clientFrame,
  RawWebSocket,
  requestText,
  startMooringNode,
  startTestBackend,
  type MooringNode,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// Mooring pings quiet clients itself: a raw client that never answers is reaped, a `ws` client
// (which answers pings as RFC 6455 §5.5.2 says) stays, and the backend hears none of it.
const intervalMs = 150;
const timeoutMs = 1_000;
const ping = 0x9;
const pong = 0xa;

let backend: TestBackend;
let node: MooringNode;
/** Pongs the backend received, whatever their payload. */
const pongsAtBackend: string[] = [];
beforeAll(async () => {
  backend = await startTestBackend({ name: 'pinged' });
  node = await startMooringNode({
    workers: 1,
    args: [
      '--backend',
      `pinged=${backend.url}`,
      '--ping-interval',
      `${intervalMs}ms`,
      '--ping-timeout',
      `${timeoutMs}ms`,
    ],
  });
});
afterAll(async () => {
  await node?.stop();
  await backend?.close();
});

/** Records every pong on the backend's side of each open WebSocket from now on. */
function watchBackendPongs(): void {
  for (const socket of backend.webSockets) {
    socket.removeAllListeners('pong');
    socket.on('pong', (payload: Buffer) => pongsAtBackend.push(payload.toString()));
  }
}

async function closesCounted(reason: string): Promise<number> {
  const text = (await requestText(`${node.adminUrl}/metrics`)).body;
  const line = text
    .split('\n')
    .find((entry) => entry.startsWith('mooring_websocket_closes_total{') && entry.includes(`reason="${reason}"`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('--ping-interval and --ping-timeout', () => {
  it('reaps a client that stops answering within interval + timeout, and the backend sees the close', async () => {
    const client = await RawWebSocket.open(node.port, '/silent');
    const opened = Date.now();
    const closes = backend.closeCodes.length;
    expect(await client.closeCode()).toBe(1001);
    const elapsed = Date.now() - opened;
    // It got a ping (unanswered) first, then the close; nothing else.
    const pings = client.frames.filter((frame) => frame.opcode === ping);
    expect(pings).toHaveLength(1);
    expect(pings[0]!.payload.toString()).toMatch(/^mooring \S+ 1$/);
    expect(elapsed).toBeGreaterThanOrEqual(intervalMs + timeoutMs - 50);
    // The bound that matters: reaped within interval + timeout, plus the close grace on a busy machine.
    expect(elapsed).toBeLessThan(intervalMs + timeoutMs + 3_000);
    await expect.poll(() => backend.closeCodes.slice(closes)).toEqual([1001]);
    const ended = await node.waitForLog(
      (line) => line.msg === 'websocket session ended' && line.end === 'ping-timeout',
    );
    expect(ended.closeCode).toBe(1001);
    expect(await closesCounted('ping-timeout')).toBeGreaterThanOrEqual(1);
  });

  it('keeps a ws client that answers every ping through many intervals of silence; the backend never sees those pongs', async () => {
    const client = new WebSocket(`${node.wsUrl}/quiet`);
    await once(client, 'open');
    await expect.poll(() => backend.openWebSockets).toBeGreaterThanOrEqual(1);
    watchBackendPongs();
    let pings = 0;
    client.on('ping', () => pings++);
    // Twenty intervals of silence (each ping is answered by ws on its own).
    await expect.poll(() => pings, { timeout: 20 * intervalMs * 5, interval: intervalMs }).toBeGreaterThanOrEqual(20);
    expect(client.readyState).toBe(WebSocket.OPEN);
    // Still a working tunnel, and nothing of Mooring's pings reached the backend.
    client.send('still here');
    const [echo] = await once(client, 'message');
    expect(String(echo)).toBe('still here');
    expect(pongsAtBackend).toEqual([]);
    client.close();
    await once(client, 'close');
  });

  it("forwards the client's own pongs to the backend and never its answers to Mooring", async () => {
    const client = await RawWebSocket.open(node.port, '/app-pong');
    await expect.poll(() => backend.openWebSockets).toBeGreaterThanOrEqual(1);
    watchBackendPongs();
    pongsAtBackend.length = 0;
    client.write(clientFrame(pong, Buffer.from('application heartbeat')));
    // Answer Mooring's first ping by hand, with its payload.
    await expect.poll(() => client.frames.filter((frame) => frame.opcode === ping).length).toBe(1);
    const ours = client.frames.find((frame) => frame.opcode === ping)!;
    client.write(clientFrame(pong, ours.payload));
    // A pong whose payload merely looks like Mooring's is the application's.
    client.write(clientFrame(pong, Buffer.from('mooring lookalike 1')));
    await expect.poll(() => pongsAtBackend).toEqual(['application heartbeat', 'mooring lookalike 1']);
    client.destroy();
  });

  it('places its pings between the frames the backend streams, never inside one', async () => {
    // ws parses strictly: a ping written inside a frame would be a protocol error (close 1002).
    const client = new WebSocket(`${node.wsUrl}/streamed`, { perMessageDeflate: false });
    const received: Buffer[] = [];
    let pings = 0;
    client.on('message', (data: Buffer) => received.push(data));
    client.on('ping', () => pings++);
    const closed = once(client, 'close');
    await once(client, 'open');
    await expect.poll(() => backend.webSockets.size).toBeGreaterThanOrEqual(1);
    const [serverSide] = [...backend.webSockets].slice(-1);
    const message = Buffer.alloc(256 * 1024, 7);
    // The backend streams while the client is silent, so pings fall due in the middle of it.
    for (let i = 0; i < 40; i++) {
      serverSide!.send(message, { binary: true });
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await expect.poll(() => received.length).toBe(40);
    expect(received.every((data) => data.equals(message))).toBe(true);
    await expect.poll(() => pings).toBeGreaterThanOrEqual(1);
    expect(client.readyState).toBe(WebSocket.OPEN);
    client.close();
    const [code] = await closed;
    expect(code).toBe(1005);
  });
});

describe('a client that talks', () => {
  let talkative: MooringNode;
  beforeAll(async () => {
    // A long interval, so that only a stall of a whole second could make a ping due.
    talkative = await startMooringNode({
      workers: 1,
      args: ['--backend', `pinged=${backend.url}`, '--ping-interval', '1s', '--ping-timeout', '1s'],
    });
  });
  afterAll(() => talkative?.stop());

  it('is never pinged while it keeps sending its own messages', async () => {
    const client = await RawWebSocket.open(talkative.port, '/talkative');
    // Bounded: 25 messages a tenth of the interval apart, over two and a half intervals.
    for (let i = 0; i < 25; i++) {
      client.write(clientFrame(0x1, Buffer.from(`message ${i}`)));
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await expect.poll(() => client.frames.filter((frame) => frame.opcode === 0x1).length).toBe(25);
    expect(client.frames.filter((frame) => frame.opcode === ping)).toHaveLength(0);
    client.destroy();
  });
});
