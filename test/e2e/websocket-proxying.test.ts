import { randomBytes } from 'node:crypto';
import { openRecordingClient } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../support/fleet.js';
import { droppedForwarding, spoofedForwarding } from '../support/spoofed-forwarding.js';
import { establishedConnections } from '../support/tcp-sockets.js';

// The real `mooring` executable with 2 workers in front of 3 backends.
let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ workers: 2 });
});
afterAll(() => fleet?.close());

const totalOpen = (): number => fleet.backends.reduce((sum, backend) => sum + backend.openWebSockets, 0);

describe('WebSocket proxying', () => {
  it('echoes text and binary messages, including 1 MiB ones, with permessage-deflate negotiated end to end', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/echo`, { perMessageDeflate: true });
    expect(client.upgradeHeaders['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
    const backendName = client.upgradeHeaders['x-backend'];
    const backend = fleet.backend(String(backendName));
    const [serverSide] = [...backend.webSockets];
    expect(serverSide?.extensions).toMatch(/permessage-deflate/);

    expect(await client.request('hello')).toBe('hello');
    const binary = randomBytes(1024 * 1024);
    expect(Buffer.compare((await client.request(binary)) as Buffer, binary)).toBe(0);
    const text = 'x'.repeat(1024 * 1024);
    expect(await client.request(text)).toBe(text);
    await client.close(1000, 'done');
  });

  it('echoes 1 MiB messages without compression too', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/`, { perMessageDeflate: false });
    expect(client.upgradeHeaders['sec-websocket-extensions']).toBeUndefined();
    const binary = randomBytes(1024 * 1024);
    expect(Buffer.compare((await client.request(binary, 10_000)) as Buffer, binary)).toBe(0);
    await client.close();
  });

  it('replaces X-Forwarded-* and drops the other forwarding headers of an untrusted client on the handshake', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/echo`, { headers: { ...spoofedForwarding } });
    try {
      const headers = fleet.backend(String(client.upgradeHeaders['x-backend'])).lastRequestHeaders ?? {};
      expect(headers).toMatchObject({
        'x-forwarded-for': '127.0.0.1',
        'x-forwarded-proto': 'http',
        'x-forwarded-port': String(fleet.node.port),
      });
      for (const name of droppedForwarding) expect(headers[name], name).toBeUndefined();
    } finally {
      await client.close();
    }
  });

  it('spreads WebSocket sessions over the backends', async () => {
    const clients = await Promise.all(Array.from({ length: 12 }, () => openRecordingClient(`${fleet.node.wsUrl}/`)));
    const names = new Set(clients.map((client) => client.upgradeHeaders['x-backend']));
    expect(names.size).toBe(3);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('logs one line per session at its end, with backend, duration, bytes and how it ended', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/logged`, { perMessageDeflate: false });
    await client.request(Buffer.alloc(5000, 1));
    const backend = client.upgradeHeaders['x-backend'];
    await client.close(1000);
    const line = await fleet.node.waitForLog(
      (entry) =>
        entry.msg === 'websocket session ended' &&
        entry.backend === backend &&
        (entry.bytesFromClient as number) >= 5000,
    );
    expect(line).toMatchObject({ status: 101, client: '127.0.0.1' });
    expect(line.end).toMatch(/^(client-close|backend-close)$/);
    expect(line.bytesToClient).toBeGreaterThanOrEqual(5000);
    expect(typeof line.durationMs).toBe('number');
    expect(typeof line.worker).toBe('number');
  });

  it('closes the backend socket when the client vanishes after the upgrade (no leaked sockets)', async () => {
    await expect.poll(totalOpen).toBe(0);
    const clients = await Promise.all(Array.from({ length: 6 }, () => openRecordingClient(`${fleet.node.wsUrl}/`)));
    await expect.poll(totalOpen).toBe(6);
    for (const client of clients) client.ws.terminate(); // a TCP teardown, no close frame
    await expect.poll(totalOpen).toBe(0);
    // This file sends no plain HTTP, so no keep-alive socket may remain either: every TCP
    // connection to every backend, and every one to the proxy, must be gone.
    await expect.poll(() => fleet.backends.reduce((sum, backend) => sum + backend.sockets.size, 0)).toBe(0);
    await expect.poll(() => fleet.backends.flatMap((backend) => establishedConnections(backend.port)).length).toBe(0);
    await expect.poll(() => establishedConnections(fleet.node.port).length).toBe(0);
  });

  it('tells the client with a close frame (1014) when the backend vanishes after the upgrade', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => openRecordingClient(`${fleet.node.wsUrl}/gone`)));
    await expect.poll(totalOpen).toBe(6);
    for (const backend of fleet.backends) backend.destroyAllSockets();
    const closes = await Promise.all(clients.map((client) => client.closed));
    // A TCP cut would read as 1006; every tunnel was between frames, so each client got 1014 Bad Gateway.
    expect(closes.map((close) => close.code)).toEqual([1014, 1014, 1014, 1014, 1014, 1014]);
    expect(clients.flatMap((client) => client.errors)).toEqual([]);
    await fleet.node.waitForLog(
      (line) => line.msg === 'websocket session ended' && line.end === 'backend-gone' && line.closeCode === 1014,
    );
    await expect.poll(totalOpen).toBe(0);
    await expect.poll(() => establishedConnections(fleet.node.port).length).toBe(0);
  });

  it('passes on the close code of a backend that closes properly', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/closing`);
    const backend = fleet.backend(String(client.upgradeHeaders['x-backend']));
    await expect.poll(() => backend.openWebSockets).toBeGreaterThan(0);
    await backend.closeAllWebSockets(4001, 'bye');
    expect(await client.closed).toEqual({ code: 4001, reason: 'bye' });
  });
});
