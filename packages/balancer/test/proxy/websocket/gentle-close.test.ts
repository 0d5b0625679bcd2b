import { createHash, randomBytes } from 'node:crypto';
import { EventEmitter, once } from 'node:events';
import http from 'node:http';
import net from 'node:net';
import type { AddressInfo, Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { closeFrame, isSendableCloseCode } from '../../../src/protocol/close-frame.js';
import { FrameBoundaryTracker } from '../../../src/protocol/frame-tracker.js';
import {
  closeTunnelGently,
  trackTunnel,
  type DirectionState,
  type GentleCloseOptions,
  type TrackedTunnel,
} from '../../../src/proxy/websocket/gentle-close.js';
import { DeadlineWheel } from '../../../src/proxy/deadline-wheel.js';

/** A piped direction's tracker (bytes, broken, observe), which the tunnel types only as its state. */
function trackerOf(direction: DirectionState): FrameBoundaryTracker {
  expect(direction).toBeInstanceOf(FrameBoundaryTracker);
  return direction as FrameBoundaryTracker;
}

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const timeout = (): { signal: AbortSignal } => ({ signal: AbortSignal.timeout(5000) });

/** Tracks every socket of a server so that closing it never hangs. */
function trackSockets(server: net.Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return sockets;
}

async function listen(server: net.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening', timeout());
  return (server.address() as AddressInfo).port;
}

/**
 * Stands in for the proxy: relays the handshake to the backend, then pipes the two sockets both
 * ways and attaches the trackers, as http-proxy plus the session do after the 101.
 */
async function startRelay(backendPort: number): Promise<{ port: number; tunnels: EventEmitter }> {
  const tunnels = new EventEmitter();
  const server = http.createServer();
  const backendSockets = new Set<Socket>();
  cleanups.push(() => backendSockets.forEach((socket) => socket.destroy()));
  server.on('upgrade', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    client.on('error', () => {});
    const upstream = http.request({
      host: '127.0.0.1',
      port: backendPort,
      path: req.url,
      headers: req.headers,
      agent: false,
    });
    upstream.on('error', () => client.destroy());
    upstream.on('response', () => client.destroy());
    upstream.on('upgrade', (res: http.IncomingMessage, backend: Socket, backendHead: Buffer) => {
      backendSockets.add(backend);
      backend.on('error', () => {});
      const lines = [];
      for (let i = 0; i < res.rawHeaders.length; i += 2)
        lines.push(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`);
      client.write(`HTTP/1.1 101 Switching Protocols\r\n${lines.join('')}\r\n`);
      if (backendHead.length > 0) backend.unshift(backendHead);
      if (head.length > 0) client.unshift(head);
      // The tunnel carries both directions itself, from the first byte after the 101.
      const tunnel = trackTunnel(client, backend);
      tunnels.emit('tunnel', tunnel);
    });
    upstream.end();
  });
  trackSockets(server);
  return { port: await listen(server), tunnels };
}

interface Peer {
  socket: WebSocket;
  errors: Error[];
  received: Buffer[];
  closed: Promise<{ code: number; reason: string }>;
}

function recordPeer(socket: WebSocket): Peer {
  const peer: Peer = { socket, errors: [], received: [], closed: undefined as never };
  socket.on('error', (err) => peer.errors.push(err));
  socket.on('message', (data: Buffer) => peer.received.push(data));
  peer.closed = new Promise((resolve) =>
    socket.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
  );
  return peer;
}

async function startBackend(
  options: ConstructorParameters<typeof WebSocketServer>[0] = {},
): Promise<{ port: number; peers: EventEmitter }> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, ...options });
  const peers = new EventEmitter();
  server.on('connection', (socket) => peers.emit('peer', recordPeer(socket)));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate();
        server.close(() => resolve());
      }),
  );
  await once(server, 'listening', timeout());
  return { port: (server.address() as AddressInfo).port, peers };
}

/** Connects a ws client through the relay; resolves with the client, its tunnel and the backend's side. */
async function connect(relay: { port: number; tunnels: EventEmitter }, peers?: EventEmitter) {
  const tunnelReady = once(relay.tunnels, 'tunnel', timeout());
  const peerReady = peers ? once(peers, 'peer', timeout()) : Promise.resolve([undefined]);
  const socket = new WebSocket(`ws://127.0.0.1:${relay.port}`);
  cleanups.push(() => socket.terminate());
  const client = recordPeer(socket);
  await once(socket, 'open', timeout());
  const [[tunnel], [backend]] = await Promise.all([tunnelReady, peerReady]);
  return { client, tunnel: tunnel as TrackedTunnel, backend: backend as Peer | undefined };
}

/** A message that carries its own checksum: random bytes followed by their SHA-256. */
function checkedMessage(length: number): Buffer {
  const body = randomBytes(length - 32);
  return Buffer.concat([body, createHash('sha256').update(body).digest()]);
}

function intact(message: Buffer, length: number): boolean {
  const body = message.subarray(0, message.length - 32);
  return message.length === length && createHash('sha256').update(body).digest().equals(message.subarray(-32));
}

describe('closeFrame', () => {
  it('builds a close frame that ws parses, masked or not, with a truncated UTF-8 reason', () => {
    const reason = 'é'.repeat(100); // 200 bytes: cut to 122, not 123, so no sequence is split
    const unmasked = closeFrame(1012, reason, false);
    expect([unmasked[0], unmasked[1], unmasked.readUInt16BE(2)]).toEqual([0x88, 124, 1012]);
    expect(unmasked.subarray(4).toString('utf8')).toBe('é'.repeat(61));

    const masked = closeFrame(4000, 'bye', true);
    expect([masked[0], masked[1]]).toEqual([0x88, 0x80 | 5]);
    const key = masked.subarray(2, 6);
    const payload = Buffer.from(masked.subarray(6).map((byte, i) => byte ^ key[i & 3]!));
    expect([payload.readUInt16BE(0), payload.subarray(2).toString()]).toEqual([4000, 'bye']);
    expect(closeFrame(1000, undefined, false)).toEqual(Buffer.from([0x88, 0x02, 0x03, 0xe8]));
  });

  it.each([999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 1000.5, Number.NaN])('refuses code %s', (code) => {
    expect(() => closeFrame(code, '', false)).toThrow(RangeError);
    expect(isSendableCloseCode(code)).toBe(false);
  });

  it.each([1000, 1001, 1008, 1011, 1012, 1014, 3000, 4999])('accepts code %s', (code) => {
    expect(isSendableCloseCode(code)).toBe(true);
  });
});

/** The worker's wheel, as the sessions pass it; a 10 ms tick against the tests' 300 ms and longer deadlines. */
const wheel = new DeadlineWheel({ tickMs: 10 });
const gently = (tunnel: TrackedTunnel, options: Omit<GentleCloseOptions, 'deadlines'> = {}) =>
  closeTunnelGently(tunnel, { deadlines: wheel, ...options });

describe('closeTunnelGently', () => {
  it('closes an idle tunnel with 1012 both ways, masked toward the backend', async () => {
    const backend = await startBackend();
    const relay = await startRelay(backend.port);
    const { client, tunnel, backend: server } = await connect(relay, backend.peers);
    const closing = gently(tunnel, { reason: 'service restart' });
    expect(gently(tunnel)).toBe(closing);
    await expect(closing).resolves.toBe('clean');
    await expect(client.closed).resolves.toEqual({ code: 1012, reason: 'service restart' });
    // ws servers refuse unmasked client frames (1002), so a 1012 here proves the mask.
    await expect(server!.closed).resolves.toEqual({ code: 1012, reason: 'service restart' });
    expect([client.errors, server!.errors]).toEqual([[], []]);
    expect([tunnel.client.destroyed, tunnel.backend.destroyed]).toEqual([true, true]);
  });

  // A drain record written by hand can carry any number; the close runs in a timer or a signal
  // handler, where a throw would kill the worker and give every client 1006.
  it('closes with the default 1012 instead of throwing when given a code that may not be sent', async () => {
    const backend = await startBackend();
    const relay = await startRelay(backend.port);
    const { client, tunnel, backend: server } = await connect(relay, backend.peers);
    let closing: Promise<unknown> | undefined;
    expect(() => (closing = gently(tunnel, { code: 2000, reason: 'drained' }))).not.toThrow();
    await expect(closing).resolves.toBe('clean');
    await expect(client.closed).resolves.toEqual({ code: 1012, reason: 'drained' });
    await expect(server!.closed).resolves.toEqual({ code: 1012, reason: 'drained' });
    expect([client.errors, server!.errors]).toEqual([[], []]);
  });

  // Each iteration closes at a different point of both streams: the backend sends 1 MiB messages
  // as fragments, the client sends 256 KiB messages as fragments, and the close is called from a
  // `data` listener once a random number of bytes has gone one way or the other.
  const iterations = Array.from({ length: 8 }, (_, i) => ({
    i,
    deflate: i % 2 === 1,
    trigger: i % 4 < 2 ? 'backend' : 'client',
  }));
  it.each(iterations)(
    'closes at frame boundaries while both sides stream (#$i, deflate $deflate, on $trigger bytes)',
    async ({ deflate, trigger }) => {
      const messageBytes = 1 << 20;
      const backend = await startBackend({ perMessageDeflate: deflate });
      backend.peers.on('peer', (peer: Peer) => {
        for (let m = 0; m < 4; m++) sendInPieces(peer.socket, checkedMessage(messageBytes), 64 * 1024 + m * 1000);
      });
      const relay = await startRelay(backend.port);
      const { client, tunnel, backend: server } = await connect(relay, backend.peers);
      streamFromClient(client.socket, 256 * 1024);

      const source = trigger === 'backend' ? tunnel.backend : tunnel.client;
      const tracker = trackerOf(trigger === 'backend' ? tunnel.fromBackend : tunnel.fromClient);
      const threshold = Math.floor(Math.random() * (trigger === 'backend' ? 4 * messageBytes : 2 * messageBytes));
      const outcome = new Promise((resolve) => {
        source.on('data', () => {
          // A generous grace: on a loaded machine the client may take seconds to read the backlog
          // that sits in socket buffers ahead of its close frame; a real stall still fails the test.
          if (tracker.bytes >= threshold) resolve(gently(tunnel, { graceMs: 10_000 }));
        });
      });

      await expect(outcome, `threshold ${threshold}`).resolves.toBe('clean');
      await expect(client.closed).resolves.toMatchObject({ code: 1012 });
      await expect(server!.closed).resolves.toMatchObject({ code: 1012 });
      expect([client.errors, server!.errors]).toEqual([[], []]);
      expect(client.received.filter((m) => !intact(m, messageBytes))).toEqual([]);
      expect(server!.received.filter((m) => !intact(m, 256 * 1024))).toEqual([]);
      expect([trackerOf(tunnel.fromBackend).broken, trackerOf(tunnel.fromClient).broken]).toEqual([false, false]);
    },
  );

  it('forces the close when the backend never answers, after the grace', async () => {
    const hanging = net.createServer((socket) => answerHandshakeThenHang(socket));
    trackSockets(hanging);
    const backendClosed = new Promise<void>((resolve) =>
      hanging.on('connection', (socket) => socket.on('close', () => resolve())),
    );
    const relay = await startRelay(await listen(hanging));
    const { client, tunnel } = await connect(relay);

    await expect(gently(tunnel, { graceMs: 300 })).resolves.toBe('forced');
    expect([tunnel.client.destroyed, tunnel.backend.destroyed]).toEqual([true, true]);
    await backendClosed;
    // The client did get its close frame before the backend was given up on.
    await expect(client.closed).resolves.toMatchObject({ code: 1012 });
  });

  it('forces the close when a frame never ends, without writing into it', async () => {
    // The backend announces a 1 MiB frame, sends half of it, and stalls.
    const hanging = net.createServer((socket) =>
      answerHandshakeThenHang(
        socket,
        Buffer.concat([Buffer.from([0x82, 0x7f, 0, 0, 0, 0, 0, 0x10, 0, 0]), Buffer.alloc(512 * 1024)]),
      ),
    );
    trackSockets(hanging);
    const relay = await startRelay(await listen(hanging));
    const { client, tunnel } = await connect(relay);
    await expect.poll(() => trackerOf(tunnel.fromBackend).bytes, { timeout: 5000 }).toBe(10 + 512 * 1024);

    await expect(gently(tunnel, { graceMs: 5000, boundaryMs: 300 })).resolves.toBe('forced');
    expect([tunnel.client.destroyed, tunnel.backend.destroyed]).toEqual([true, true]);
    const { code } = await client.closed;
    expect(code).toBe(1006);
    expect(client.errors).toEqual([]);
  });

  it('ends a direction whose tracker is broken without a frame, and does not throw', async () => {
    const backend = await startBackend();
    const relay = await startRelay(backend.port);
    const { client, tunnel, backend: server } = await connect(relay, backend.peers);
    const [fromBackend, fromClient] = [trackerOf(tunnel.fromBackend), trackerOf(tunnel.fromClient)];
    fromBackend.observe(Buffer.from([0x83, 0x00])); // reserved opcode
    fromClient.observe(Buffer.from([0x89, 0x7e, 0x00, 0x80])); // a 128-byte ping
    expect([fromBackend.broken, fromClient.broken]).toEqual([true, true]);

    await expect(gently(tunnel)).resolves.toBe('clean');
    // 1006: the TCP connection ended without any close frame.
    await expect(client.closed).resolves.toMatchObject({ code: 1006 });
    await expect(server!.closed).resolves.toMatchObject({ code: 1006 });
  });

  it('adds no close frame after one the client already sent', async () => {
    const backend = await startBackend();
    const relay = await startRelay(backend.port);
    const { client, tunnel, backend: server } = await connect(relay, backend.peers);
    server!.socket.on('close', () => {});
    client.socket.close(1000, 'bye');
    await expect.poll(() => tunnel.fromClient.closeSeen, { timeout: 5000 }).toBe(true);

    await expect(gently(tunnel)).resolves.toBe('clean');
    await expect(server!.closed).resolves.toEqual({ code: 1000, reason: 'bye' });
    // The client gets the backend's answer or our 1012, whichever reached the relay first.
    expect([1000, 1012]).toContain((await client.closed).code);
    expect([client.errors, server!.errors]).toEqual([[], []]);
  });

  it('resolves at once for a tunnel whose sockets are already closed', async () => {
    const [a, b] = await socketPair();
    a.destroy();
    b.destroy();
    await Promise.all([once(a, 'close', timeout()), once(b, 'close', timeout())]);
    const tunnel = {
      client: a,
      backend: b,
      fromBackend: new FrameBoundaryTracker(),
      fromClient: new FrameBoundaryTracker(),
    };
    await expect(gently(tunnel)).resolves.toBe('clean');
  });
});

/** Sends one message as fragments of `pieceBytes` (`fin: false` until the last). */
function sendInPieces(socket: WebSocket, message: Buffer, pieceBytes: number): void {
  for (let at = 0; at < message.length; at += pieceBytes) {
    const end = Math.min(at + pieceBytes, message.length);
    socket.send(message.subarray(at, end), { binary: true, fin: end === message.length });
  }
}

/**
 * Keeps the client sending checked messages, two in flight, until the socket is no longer open.
 * Each next message waits for setImmediate, so that the sender yields to I/O: client, relay and
 * backend share this one process, and a sender that never yields starves their reads.
 */
function streamFromClient(socket: WebSocket, messageBytes: number): void {
  const next = (err?: Error): void => {
    if (!err) setImmediate(send);
  };
  const send = (): void => {
    if (socket.readyState !== WebSocket.OPEN) return;
    const message = checkedMessage(messageBytes);
    const quarter = messageBytes / 4;
    for (let at = 0; at < messageBytes; at += quarter) {
      const last = at + quarter === messageBytes;
      socket.send(message.subarray(at, at + quarter), { binary: true, fin: last }, last ? next : undefined);
    }
  };
  send();
  send();
}

/** A backend that accepts the WebSocket handshake, optionally writes `then`, and never reads or answers again. */
function answerHandshakeThenHang(socket: Socket, then?: Buffer): void {
  let head = '';
  socket.on('error', () => {});
  const onData = (chunk: Buffer): void => {
    head += chunk.toString('latin1');
    const key = /sec-websocket-key: *(\S+)/i.exec(head)?.[1];
    if (!head.includes('\r\n\r\n') || !key) return;
    socket.off('data', onData);
    socket.on('data', () => {});
    const accept = createHash('sha1').update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest('base64');
    socket.write(
      `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
    );
    if (then) socket.write(then);
  };
  socket.on('data', onData);
}

async function socketPair(): Promise<[Socket, Socket]> {
  const server = net.createServer();
  trackSockets(server);
  const accepted = once(server, 'connection', timeout());
  const port = await listen(server);
  const a = net.connect(port, '127.0.0.1');
  a.on('error', () => {});
  const [[b]] = await Promise.all([accepted, once(a, 'connect', timeout())]);
  return [a, b as Socket];
}
