import { once } from 'node:events';
import net, { type Socket } from 'node:net';
import { listen, trackSockets } from '@mooring/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { FrameBoundaryTracker } from '../../../src/protocol/frame-tracker.js';
import { TunnelPipe } from '../../../src/proxy/websocket/tunnel-pipe.js';

const opened: Socket[] = [];
afterEach(() => opened.splice(0).forEach((socket) => socket.destroy()));

/** Two connected loopback sockets: bytes written to `near` arrive at `far`. */
async function connected(): Promise<{ near: Socket; far: Socket }> {
  const server = net.createServer();
  trackSockets(server);
  const accepted = once(server, 'connection');
  const near = net.connect(await listen(server), '127.0.0.1');
  const [[far]] = await Promise.all([accepted, once(near, 'connect')]);
  server.close();
  opened.push(near, far as Socket);
  return { near, far: far as Socket };
}

/** Everything `socket` receives until it ends. */
async function readAll(socket: Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'end');
  return Buffer.concat(chunks);
}

/** A source socket (fed from `writer`) piped into a sink socket (read from `reader`). */
async function tunnelOf(endSink: boolean, tracker?: FrameBoundaryTracker) {
  const upstream = await connected();
  const downstream = await connected();
  const pipe = new TunnelPipe(upstream.far, downstream.near, tracker, endSink).start();
  return { writer: upstream.near, source: upstream.far, sink: downstream.near, reader: downstream.far, pipe };
}

describe('TunnelPipe', () => {
  it('carries every byte in order, feeds the tracker, and ends the sink on the source FIN', async () => {
    const tracker = new FrameBoundaryTracker();
    const { writer, reader } = await tunnelOf(true, tracker);
    const frames = Array.from({ length: 200 }, (_, i) => Buffer.from([0x82, 0x03, i & 0xff, 1, 2]));
    const received = readAll(reader);
    for (const frame of frames) writer.write(frame);
    writer.end();
    expect((await received).equals(Buffer.concat(frames))).toBe(true);
    expect([tracker.frames, tracker.atBoundary]).toEqual([200, true]);
  });

  it('with backpressure: a sink that does not read pauses the source, and all arrives once it does', async () => {
    const { writer, source, reader } = await tunnelOf(true);
    reader.pause();
    const total = 16 * 1024 * 1024;
    writer.end(Buffer.alloc(total, 0x61));
    // The source stops being read while the sink is full: far less than the total is taken from it.
    await expect.poll(() => source.isPaused(), { timeout: 5_000 }).toBe(true);
    expect(source.bytesRead).toBeLessThan(total);
    reader.resume();
    expect((await readAll(reader)).length).toBe(total);
  });

  it('without endSink the source FIN leaves the sink open', async () => {
    const { writer, source, sink } = await tunnelOf(false);
    source.on('data', () => undefined);
    const ended = once(source, 'end');
    writer.end('last');
    await ended;
    await new Promise((resolve) => setImmediate(resolve));
    expect(sink.writableEnded).toBe(false);
  });

  it('stop() forwards nothing more', async () => {
    const { writer, source, reader, pipe } = await tunnelOf(true);
    const received: Buffer[] = [];
    reader.on('data', (chunk: Buffer) => received.push(chunk));
    writer.write('before');
    await expect.poll(() => Buffer.concat(received).toString()).toBe('before');
    pipe.stop();
    const heard = once(source, 'data');
    writer.write('after');
    await heard;
    await new Promise((resolve) => setImmediate(resolve));
    expect(Buffer.concat(received).toString()).toBe('before');
  });
});
