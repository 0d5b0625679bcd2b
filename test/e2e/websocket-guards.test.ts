import { connect } from 'node:net';
import { once } from 'node:events';
import { setTimeout as pause } from 'node:timers/promises';
import {
  openRecordingClient,
  rawUpgrade,
  startMooringNode,
  startTestBackend,
  websocketHandshakeText,
  UnexpectedResponseError,
  type MooringNode,
  type RecordingClient,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setAllModes, startFleet, type Fleet } from '../support/fleet.js';
import { establishedConnections } from '../support/tcp-sockets.js';
import { monotonicNow, msSince, within } from '../support/waits.js';

const handshake = (extra: string[] = []): string => `${websocketHandshakeText('/', '127.0.0.1', extra)}`;
const withHeader = (name: string, value: string): string =>
  handshake().replace(new RegExp(`${name}: [^\\r]*`), `${name}: ${value}`);

async function refusal(
  url: string,
  options: Parameters<typeof openRecordingClient>[1] = {},
): Promise<UnexpectedResponseError> {
  const error = await openRecordingClient(url, options).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(UnexpectedResponseError);
  return error as UnexpectedResponseError;
}

// The real `mooring` executable with 2 workers in front of 3 backends.
let fleet: Fleet;

/**
 * Connections the proxy holds open to any backend, read from the kernel. (A hanging backend
 * keeps its half of a connection the proxy has closed, so the backend's own count can't tell.)
 */
const proxyToBackendConnections = (): number =>
  fleet.backends.flatMap((backend) =>
    establishedConnections(backend.port).filter((connection) => connection.peer.endsWith(`:${backend.port}`)),
  ).length;
beforeAll(async () => {
  fleet = await startFleet({ workers: 2, args: ['--handshake-timeout', '1s'] });
});
afterAll(() => fleet?.close());
afterEach(() => setAllModes(fleet, 'ok'));

describe('handshake validation, before any backend is contacted', () => {
  it.each([
    ['version 8 → 426 naming version 13', withHeader('Sec-WebSocket-Version', '8'), 426],
    ['a 4-byte key → 400', withHeader('Sec-WebSocket-Key', 'AAAAAA=='), 400],
    ['no key → 400', handshake().replace(/Sec-WebSocket-Key: [^\r]*\r\n/, ''), 400],
    ['a POST → 400', handshake().replace(/^GET/, 'POST'), 400],
    ['an h2c upgrade → 400', withHeader('Upgrade', 'h2c'), 400],
  ])('%s', async (_name, request, status) => {
    const before = fleet.backends.reduce((sum, backend) => sum + backend.upgradeRequests, 0);
    const response = await rawUpgrade(fleet.node.port, request);
    expect(response.statusCode).toBe(status);
    expect(response.headers.connection).toBe('close');
    expect(JSON.parse(response.body).code).toMatch(/^MOORING_ERR_UPGRADE_/);
    if (status === 426) expect(response.headers['sec-websocket-version']).toBe('13');
    expect(fleet.backends.reduce((sum, backend) => sum + backend.upgradeRequests, 0)).toBe(before);
  });

  it('refuses heads over --max-header-size with 431', async () => {
    const response = await rawUpgrade(fleet.node.port, handshake([`X-Padding: ${'p'.repeat(20_000)}`]));
    expect(response.statusCode).toBe(431);
  });
});

describe('backend failures during the handshake', () => {
  it('fails over to the next backend when one refuses the connection', async () => {
    await fleet.backend('b1').setMode('refuse');
    await fleet.backend('b2').setMode('refuse');
    for (let i = 0; i < 6; i++) {
      const client = await openRecordingClient(`${fleet.node.wsUrl}/`);
      expect(client.upgradeHeaders['x-backend']).toBe('b3');
      expect(await client.request('ping')).toBe('ping');
      await client.close();
    }
  });

  it('relays a non-101 answer as a well-formed HTTP response', async () => {
    await setAllModes(fleet, 'non101');
    // rawUpgrade parses strictly: it throws unless the bytes are one well-formed response.
    const response = await rawUpgrade(fleet.node.port, handshake());
    expect(response.statusCode).toBe(403);
    expect(response.headers.connection).toBe('close');
    expect(response.headers['transfer-encoding']).toBeUndefined();
    expect(JSON.parse(response.body)).toMatchObject({ error: expect.any(String) });
  });

  it('answers 504 at --handshake-timeout when the backend never answers, and frees the backend socket', async () => {
    await setAllModes(fleet, 'hang');
    const started = monotonicNow();
    // Bytes must come within 5 s of silence: half the 10 s default, so a node that ignored the
    // flag sends nothing in time and the strict parse below fails.
    const response = await rawUpgrade(fleet.node.port, handshake(), { silenceMs: 5000 });
    const elapsed = msSince(started);
    expect(response.statusCode).toBe(504);
    expect(JSON.parse(response.body).code).toBe('MOORING_ERR_BACKEND_TIMEOUT');
    // Not before the 1 s deadline. Load delays a timer rather than firing it early; the 100 ms
    // cover a timer started from the event loop's cached clock (it lags by the loop turn's work).
    // Above it, the 5 s of silence leave 4 s for a loaded machine.
    expect(elapsed).toBeGreaterThanOrEqual(900);
    await expect.poll(proxyToBackendConnections).toBe(0);
  });

  it('survives a client that resets during the handshake, and the worker still serves', async () => {
    await setAllModes(fleet, 'hang');
    const pidsBefore = fleet.node.logs.filter((line) => line.msg === 'worker ready').map((line) => line.workerPid);
    const before = fleet.backends.reduce((sum, backend) => sum + backend.upgradeRequests, 0);
    const sockets = Array.from({ length: 4 }, () => connect({ host: '127.0.0.1', port: fleet.node.port }));
    await Promise.all(sockets.map((socket) => once(socket, 'connect')));
    for (const socket of sockets) socket.write(handshake());
    await expect.poll(() => fleet.backends.reduce((sum, backend) => sum + backend.upgradeRequests, 0)).toBe(before + 4);
    for (const socket of sockets) socket.resetAndDestroy();
    await expect
      .poll(() => fleet.node.logs.filter((line) => line.end === 'client-gone-during-handshake').length)
      .toBeGreaterThanOrEqual(4);
    await expect.poll(proxyToBackendConnections).toBe(0);

    await setAllModes(fleet, 'ok');
    for (let i = 0; i < 4; i++) {
      const client = await openRecordingClient(`${fleet.node.wsUrl}/`);
      expect(await client.request('still here')).toBe('still here');
      await client.close();
    }
    expect(fleet.node.logs.some((line) => line.msg === 'worker exited, replacing it')).toBe(false);
    expect(fleet.node.logs.filter((line) => line.msg === 'worker ready').map((line) => line.workerPid)).toEqual(
      pidsBefore,
    );
  });

  it('sets TCP keep-alive on both sockets of a tunnel', async () => {
    const client = await openRecordingClient(`${fleet.node.wsUrl}/`);
    const backend = fleet.backend(String(client.upgradeHeaders['x-backend']));
    await client.request('x');
    const clientSide = () =>
      establishedConnections(fleet.node.port).filter((connection) => connection.local.endsWith(`:${fleet.node.port}`));
    const backendSide = () =>
      establishedConnections(backend.port).filter((connection) => connection.peer.endsWith(`:${backend.port}`));
    // ss shows the keep-alive timer once the retransmission timer of the last write is done.
    // The default --tcp-keep-alive is 2 min, counted from the echo just above: the first probe is
    // due in more than one minute (the old 30 s default could not be) and at most two, where the
    // system default (what http-proxy sets) would show two hours.
    const probeDue = (timer: string): boolean => {
      const due = /^timer:\(keepalive,(?:(\d+)min)?(?:(\d+(?:\.\d+)?)(ms|sec))?,/.exec(timer);
      if (!due || (due[1] === undefined && due[2] === undefined)) return false;
      const ms = Number(due[1] ?? 0) * 60_000 + Number(due[2] ?? 0) * (due[3] === 'ms' ? 1 : 1_000);
      return ms > 60_000 && ms <= 120_000;
    };
    await expect.poll(() => clientSide().map((connection) => probeDue(connection.timer))).toEqual([true]);
    await expect.poll(() => backendSide().map((connection) => probeDue(connection.timer))).toEqual([true]);
    await client.close();
  });
});

describe('per-node policies', () => {
  let backend: TestBackend;
  const nodes: MooringNode[] = [];
  beforeAll(async () => {
    backend = await startTestBackend({ name: 'solo' });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await backend?.close();
  });
  const start = async (args: string[], workers = 1): Promise<MooringNode> => {
    const node = await startMooringNode({ workers, args: ['--backend', `solo=${backend.url}`, ...args] });
    nodes.push(node);
    return node;
  };

  it('closes a tunnel with no bytes either way after --idle-timeout, and keeps a busy one', async () => {
    const node = await start(['--idle-timeout', '600ms'], 2);
    const idle = await openRecordingClient(`${node.wsUrl}/`);
    const busy = await openRecordingClient(`${node.wsUrl}/`);
    let busyClosed = false;
    void busy.closed.then(() => (busyClosed = true));
    // The busy client echoes a message every 50 ms until told to stop: traffic the test feeds
    // in, not a wait (no assertion depends on it). A gap of 50 ms plus a round trip stays far
    // below 600 ms even on a loaded machine.
    let talking = true;
    const talk = (async () => {
      for (let i = 0; talking; i++) {
        await busy.request(`tick ${i}`, 2000);
        await pause(50);
      }
    })().catch((err: unknown) => err);
    try {
      // The proxy's own idle timer is the clock: the first idle tunnel closes after one timeout;
      // a second one, opened then, closes after another. The busy tunnel, open before both, must
      // outlive them: a timer that traffic did not reset would have closed it with the first.
      // 5 s bounds each wait: a node without the timeout fails instead of hanging.
      expect((await within(idle.closed, 5000, 'the idle tunnel closed')).code).toBe(1006);
      const second = await openRecordingClient(`${node.wsUrl}/`);
      expect((await within(second.closed, 5000, 'the second idle tunnel closed')).code).toBe(1006);
    } finally {
      talking = false;
    }
    expect(await talk).toBeUndefined();
    expect(busyClosed).toBe(false);
    expect(busy.ws.readyState).toBe(busy.ws.OPEN);
    await expect.poll(() => node.logs.filter((line) => line.end === 'idle-timeout').length).toBe(2);
    await busy.close();
  });

  it('refuses an Origin outside --allowed-origin with 403', async () => {
    const node = await start(['--allowed-origin', 'https://app.example']);
    const ok = await openRecordingClient(`${node.wsUrl}/`, { origin: 'https://app.example' });
    await ok.close();
    const refused = await refusal(`${node.wsUrl}/`, { origin: 'https://evil.example' });
    expect(refused.statusCode).toBe(403);
    expect(JSON.parse(refused.body).code).toBe('MOORING_ERR_UPGRADE_ORIGIN');
  });

  it('limits live WebSockets per client address with 429', async () => {
    const node = await start(['--max-connections-per-client', '2']);
    const first = await openRecordingClient(`${node.wsUrl}/`);
    const second = await openRecordingClient(`${node.wsUrl}/`);
    const refused = await refusal(`${node.wsUrl}/`);
    expect(refused.statusCode).toBe(429);
    expect(JSON.parse(refused.body).code).toBe('MOORING_ERR_CLIENT_CONNECTION_LIMIT');
    await first.close();
    await expect
      .poll(
        async () =>
          await openRecordingClient(`${node.wsUrl}/`).then(
            (client) => client.close().then(() => 'ok'),
            () => 'refused',
          ),
      )
      .toBe('ok');
    await second.close();
  });

  it('limits the handshake rate per client address with 429', async () => {
    const node = await start(['--handshake-rate-per-client', '3']);
    const opened: RecordingClient[] = [];
    const attempt = (): Promise<number> =>
      openRecordingClient(`${node.wsUrl}/`).then(
        (client) => (opened.push(client), 101),
        (err: UnexpectedResponseError) => err.statusCode,
      );
    try {
      // The burst of 3, one after the other; then 5 at once. The bucket banks at most 3 tokens
      // (the burst), however long the first three took on a loaded machine, so at least 2 of the
      // 5 are refused unless their arrivals spread over a third of a second (a refill of one).
      const first: number[] = [];
      for (let i = 0; i < 3; i++) first.push(await attempt());
      const later = await Promise.all(Array.from({ length: 5 }, attempt));
      expect(first).toEqual([101, 101, 101]);
      expect(later.filter((status) => status === 429).length).toBeGreaterThanOrEqual(2);
      expect(later.every((status) => status === 101 || status === 429)).toBe(true);
    } finally {
      await Promise.all(opened.map((client) => client.close()));
    }
  });
});

describe('frame inspection', () => {
  let backend: TestBackend;
  const nodes: MooringNode[] = [];
  beforeAll(async () => {
    backend = await startTestBackend({ name: 'inspected' });
  });
  afterAll(async () => {
    await Promise.all(nodes.map((node) => node.stop()));
    await backend?.close();
  });
  const start = async (args: string[]): Promise<MooringNode> => {
    const node = await startMooringNode({ workers: 2, args: ['--backend', `inspected=${backend.url}`, ...args] });
    nodes.push(node);
    return node;
  };

  it('closes with 1009 a client message over --max-message-size, after serving smaller ones', async () => {
    const node = await start(['--max-message-size', '4096']);
    const client = await openRecordingClient(`${node.wsUrl}/`, { perMessageDeflate: false });
    expect(await client.request('x'.repeat(4000))).toBe('x'.repeat(4000));
    await client.send(Buffer.alloc(10_000, 1));
    expect((await client.closed).code).toBe(1009);
    expect(client.errors).toEqual([]);
    await node.waitForLog((line) => line.end === 'message-too-big' && line.closeCode === 1009);
  });

  it('closes with 1008 a client sending more than --max-message-rate messages per second', async () => {
    const node = await start(['--max-message-rate', '5']);
    const client = await openRecordingClient(`${node.wsUrl}/`, { perMessageDeflate: false });
    for (let i = 0; i < 20 && client.ws.readyState === client.ws.OPEN; i++)
      await client.send(`burst ${i}`).catch(() => undefined);
    expect((await client.closed).code).toBe(1008);
    await node.waitForLog((line) => line.end === 'message-rate');
  });
});
