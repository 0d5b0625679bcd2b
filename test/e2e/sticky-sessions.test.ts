import {
  openRecordingClient,
  requestText,
  startMooringNode,
  startSocketIoBackend,
  type MooringNode,
  type SocketIoBackend,
} from '@mooring/testkit';
import { io, type Socket } from 'socket.io-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setAllModes, startFleet, type Fleet } from '../support/fleet.js';

const secret = 'test-secret-0123456789abcdef';
const cookieOf = (setCookie: string | string[] | undefined): string | undefined => {
  const header = Array.isArray(setCookie) ? setCookie.find((value) => value.startsWith('mooring=')) : setCookie;
  return header?.split(';')[0];
};
const backendOf = (body: string): string => (JSON.parse(body) as { backend: string }).backend;

describe('cookie stickiness through one node with 2 workers', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({
      workers: 2,
      args: ['--sticky', 'cookie', '--cookie-secret', secret, '--scheduling', 'rr'],
    });
  });
  afterAll(() => fleet?.close());
  afterEach(() => setAllModes(fleet, 'ok'));

  it('issues an opaque signed cookie on the first HTTP response and on the 101', async () => {
    const first = await requestText(`${fleet.node.url}/`);
    const cookie = cookieOf(first.headers['set-cookie']);
    expect(cookie).toMatch(/^mooring=[A-Za-z0-9._-]+$/);
    expect(first.headers['set-cookie']?.[0]).toMatch(/; Path=\/; HttpOnly; SameSite=Lax$/);
    for (const backend of fleet.backends) expect(cookie).not.toContain(String(backend.port));
    const ws = await openRecordingClient(`${fleet.node.wsUrl}/`);
    expect(cookieOf(ws.upgradeHeaders['set-cookie'])).toMatch(/^mooring=/);
    await ws.close();
    // A request that carries a valid cookie gets no new one.
    const again = await requestText(`${fleet.node.url}/`, { headers: { cookie: cookie! } });
    expect(again.headers['set-cookie']).toBeUndefined();
  });

  it('sends every request and WebSocket with the same cookie to the same backend (60 connections each)', async () => {
    const first = await requestText(`${fleet.node.url}/`);
    const cookie = cookieOf(first.headers['set-cookie'])!;
    const pinned = backendOf(first.body);
    for (let i = 0; i < 60; i++)
      expect(backendOf((await requestText(`${fleet.node.url}/r${i}`, { headers: { cookie } })).body)).toBe(pinned);
    const clients = await Promise.all(
      Array.from({ length: 60 }, () => openRecordingClient(`${fleet.node.wsUrl}/`, { headers: { cookie } })),
    );
    expect(new Set(clients.map((client) => client.upgradeHeaders['x-backend']))).toEqual(new Set([pinned]));
    await Promise.all(clients.map((client) => client.close()));
    await fleet.node.waitForLog((line) => line.msg === 'websocket session ended' && line.route === 'cookie');
  });

  it('replaces a tampered or garbage cookie without an error', async () => {
    const first = await requestText(`${fleet.node.url}/`);
    const cookie = cookieOf(first.headers['set-cookie'])!;
    for (const bad of [
      `${cookie.slice(0, -2)}xx`,
      'mooring=garbage',
      'mooring=',
      'mooring=a.b.c.d',
      `mooring=${'%'.repeat(300)}`,
    ]) {
      const response = await requestText(`${fleet.node.url}/`, { headers: { cookie: bad } });
      expect(response.status).toBe(200);
      expect(cookieOf(response.headers['set-cookie'])).toMatch(/^mooring=/);
    }
    const ws = await openRecordingClient(`${fleet.node.wsUrl}/`, { headers: { cookie: 'mooring=forged.value.here' } });
    expect(cookieOf(ws.upgradeHeaders['set-cookie'])).toMatch(/^mooring=/);
    await ws.close();
    await fleet.node.waitForLog((line) => line.msg === 'websocket session ended' && line.route === 'cookie-repinned');
  });

  it('fails over when the pinned backend refuses: no error, and a new cookie names the new backend', async () => {
    const first = await requestText(`${fleet.node.url}/`);
    const cookie = cookieOf(first.headers['set-cookie'])!;
    const pinned = backendOf(first.body);
    await fleet.backend(pinned).setMode('refuse');
    const ws = await openRecordingClient(`${fleet.node.wsUrl}/`, { headers: { cookie } });
    const movedTo = String(ws.upgradeHeaders['x-backend']);
    expect(movedTo).not.toBe(pinned);
    const newCookie = cookieOf(ws.upgradeHeaders['set-cookie'])!;
    expect(newCookie).toMatch(/^mooring=/);
    expect(newCookie).not.toBe(cookie);
    expect(await ws.request('still works')).toBe('still works');
    await ws.close();
    await fleet.node.waitForLog(
      (line) => line.msg === 'websocket session ended' && line.route === 'failover' && line.backend === movedTo,
    );
    const http = await requestText(`${fleet.node.url}/`, { headers: { cookie } });
    expect(http.status).toBe(200);
    expect(backendOf(http.body)).not.toBe(pinned);
    // The new cookie sticks to the new backend.
    const follow = await requestText(`${fleet.node.url}/`, { headers: { cookie: newCookie } });
    expect(backendOf(follow.body)).toBe(movedTo);
  });

  it('re-pins a cookie naming a backend this node does not have (removed)', async () => {
    const first = await requestText(`${fleet.node.url}/`, { headers: {} });
    let cookie = cookieOf(first.headers['set-cookie'])!;
    let pinned = backendOf(first.body);
    // Find a cookie for b1, the backend the second node will not have.
    for (let i = 0; pinned !== 'b1' && i < 20; i++) {
      const next = await requestText(`${fleet.node.url}/`);
      cookie = cookieOf(next.headers['set-cookie'])!;
      pinned = backendOf(next.body);
    }
    expect(pinned).toBe('b1');
    const other: MooringNode = await startMooringNode({
      workers: 1,
      args: [
        '--sticky',
        'cookie',
        '--cookie-secret',
        secret,
        '--backend',
        `b2=${fleet.backend('b2').url}`,
        '--backend',
        `b3=${fleet.backend('b3').url}`,
      ],
    });
    try {
      const response = await requestText(`${other.url}/`, { headers: { cookie } });
      expect(response.status).toBe(200);
      expect(['b2', 'b3']).toContain(backendOf(response.body));
      expect(cookieOf(response.headers['set-cookie'])).not.toBe(cookie);
    } finally {
      await other.stop();
    }
  });
});

describe('cookie secrets', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1, backendCount: 2, args: ['--sticky', 'cookie'] });
  });
  afterAll(() => fleet?.close());

  it('generates a secret when none is set, and warns that other nodes will not accept its cookies', async () => {
    const warning = await fleet.node.waitForLog(
      (line) => line.level === 40 && /no --cookie-secret set/.test(String(line.msg)),
    );
    expect(warning.msg).toContain('other nodes will not accept');
    const response = await requestText(`${fleet.node.url}/`);
    const cookie = cookieOf(response.headers['set-cookie'])!;
    const again = await requestText(`${fleet.node.url}/`, { headers: { cookie } });
    expect(backendOf(again.body)).toBe(backendOf(response.body));
  });

  it('accepts cookies signed with a previous secret during rotation, and re-signs them', async () => {
    const backendArgs = fleet.backends.flatMap((backend) => ['--backend', `${backend.name}=${backend.url}`]);
    const oldNode = await startMooringNode({
      workers: 1,
      args: ['--sticky', 'cookie', '--cookie-secret', secret, ...backendArgs],
    });
    const newNode = await startMooringNode({
      workers: 1,
      args: [
        '--sticky',
        'cookie',
        '--cookie-secret',
        'rotated-secret-fedcba9876543210',
        '--previous-cookie-secret',
        secret,
        ...backendArgs,
      ],
    });
    try {
      const first = await requestText(`${oldNode.url}/`);
      const oldCookie = cookieOf(first.headers['set-cookie'])!;
      const rotated = await requestText(`${newNode.url}/`, { headers: { cookie: oldCookie } });
      expect(backendOf(rotated.body)).toBe(backendOf(first.body));
      const resigned = cookieOf(rotated.headers['set-cookie'])!;
      expect(resigned).not.toBe(oldCookie);
      const again = await requestText(`${newNode.url}/`, { headers: { cookie: resigned } });
      expect(backendOf(again.body)).toBe(backendOf(first.body));
      expect(again.headers['set-cookie']).toBeUndefined();
    } finally {
      await Promise.all([oldNode.stop(), newNode.stop()]);
    }
  });
});

describe('hash stickiness through one node with 2 workers', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({
      workers: 2,
      args: ['--sticky', 'hash', '--hash-key', 'query:room', '--scheduling', 'rr'],
    });
  });
  afterAll(() => fleet?.close());

  it('sends every connection with the same key to the same backend (60 each), for several keys', async () => {
    const placements = new Map<string, string>();
    for (const room of ['lobby', 'game-7', 'trading', 'doc-42']) {
      const names = new Set<string>();
      for (let i = 0; i < 30; i++) names.add(backendOf((await requestText(`${fleet.node.url}/?room=${room}`)).body));
      const clients = await Promise.all(
        Array.from({ length: 30 }, () => openRecordingClient(`${fleet.node.wsUrl}/?room=${room}`)),
      );
      for (const client of clients) names.add(String(client.upgradeHeaders['x-backend']));
      await Promise.all(clients.map((client) => client.close()));
      expect(names.size).toBe(1);
      placements.set(room, [...names][0]!);
    }
    expect(new Set(placements.values()).size).toBeGreaterThan(1);
    await fleet.node.waitForLog((line) => line.msg === 'websocket session ended' && line.route === 'hash');
  });

  it('falls back to the balancer when the key is missing, and says so in the log', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/no-room-here`);
    await client.close();
    await fleet.node.waitForLog((line) => line.msg === 'websocket session ended' && line.route === 'fallback');
  });
});

describe('hash stickiness with bounded load', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({
      workers: 1,
      args: ['--sticky', 'hash', '--hash-key', 'header:x-user', '--hash-balance-factor', '1.25'],
    });
  });
  afterAll(() => fleet?.close());

  it('overflows to the next backend on the ring once the key owner is at its cap', async () => {
    // One key for everybody: without the bound all 12 would land on one backend.
    const clients = await Promise.all(
      Array.from({ length: 12 }, () => openRecordingClient(`${fleet.node.wsUrl}/`, { headers: { 'x-user': 'same' } })),
    );
    const counts = new Map<string, number>();
    for (const client of clients)
      counts.set(
        String(client.upgradeHeaders['x-backend']),
        (counts.get(String(client.upgradeHeaders['x-backend'])) ?? 0) + 1,
      );
    // ⌈1.25 × 12 / 3⌉ = 5 per backend at most.
    expect(Math.max(...counts.values())).toBeLessThanOrEqual(5);
    await Promise.all(clients.map((client) => client.close()));
    await fleet.node.waitForLog((line) => line.msg === 'websocket session ended' && line.route === 'hash-overflow');
  });
});

describe('socket.io: long-polling handshake, then upgrade, on three backends without a Redis adapter', () => {
  let backends: SocketIoBackend[];
  beforeAll(async () => {
    backends = await Promise.all(['s1', 's2', 's3'].map((name) => startSocketIoBackend({ name })));
  });
  afterAll(() => Promise.all(backends.map((backend) => backend.close())));

  async function runClients(
    node: MooringNode,
    count: number,
  ): Promise<{ upgraded: number; acked: number; sessionUnknown: number; failed: number }> {
    const outcome = { upgraded: 0, acked: 0, sessionUnknown: 0, failed: 0 };
    const sockets: Socket[] = [];
    await Promise.all(
      Array.from({ length: count }, async (_, index) => {
        const socket = io(node.url, {
          transports: ['polling', 'websocket'],
          withCredentials: true,
          reconnection: false,
          timeout: 5000,
          forceNew: true,
        });
        sockets.push(socket);
        socket.io.engine?.on('error', () => {});
        try {
          await new Promise<void>((resolve, reject) => {
            socket.once('connect', resolve);
            socket.once('connect_error', reject);
          });
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('no upgrade')), 5000);
            if (socket.io.engine.transport.name === 'websocket') return resolve(clearTimeout(timer));
            socket.io.engine.once('upgrade', () => resolve(clearTimeout(timer)));
            socket.io.engine.once('close', (reason: string, description: unknown) =>
              reject(new Error(`${reason} ${JSON.stringify(description)}`)),
            );
          });
          outcome.upgraded++;
          const ack = await socket.timeout(5000).emitWithAck('echo', { index });
          if (ack?.payload?.index === index) outcome.acked++;
        } catch (err) {
          outcome.failed++;
          if (
            /Session ID unknown|400|xhr post error|xhr poll error|transport/.test(
              String((err as Error)?.message ?? err) + JSON.stringify(err),
            )
          )
            outcome.sessionUnknown++;
        }
      }),
    );
    for (const socket of sockets) socket.disconnect();
    return outcome;
  }

  const args = (sticky: string): string[] => [
    '--sticky',
    sticky,
    '--cookie-secret',
    secret,
    '--balance',
    'round-robin',
    ...backends.flatMap((backend) => ['--backend', `${backend.name}=${backend.url}`]),
  ];

  it('with cookie stickiness all 50 clients connect, upgrade and exchange acknowledged messages', async () => {
    const node = await startMooringNode({ workers: 2, args: args('cookie') });
    try {
      const outcome = await runClients(node, 50);
      expect(outcome).toEqual({ upgraded: 50, acked: 50, sessionUnknown: 0, failed: 0 });
    } finally {
      await node.stop();
    }
  });

  it('with --sticky none the same clients fail (the test can fail)', async () => {
    // The failed clients leave long-polls in flight on the backends (socket.io answers one only at
    // its 25 s ping interval), and SIGTERM lets requests in flight finish until the shutdown
    // deadline (30 s by default): without a short one, stopping this node took 20 s (the fixture's
    // SIGKILL), and the test ran past its 30 s timeout on a loaded machine.
    const node = await startMooringNode({ workers: 2, args: [...args('none'), '--shutdown-deadline', '2s'] });
    try {
      const outcome = await runClients(node, 50);
      expect(outcome.failed).toBeGreaterThan(0);
      expect(outcome.acked).toBeLessThan(50);
    } finally {
      await node.stop();
    }
  });
});
