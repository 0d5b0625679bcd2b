import { channel } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { startTestBackend, type TestBackend } from '@mooring/testkit';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { loadConfig } from '../../../src/config/load-config.js';
import { createProxyServer, type ProxyServer } from '../../../src/proxy/proxy-server.js';
import { BackendPool } from '../../../src/routing/backend-pool.js';

// The handshake's objects (the client's upgrade request, the ClientRequest to the backend and the
// backend's 101 response) must be garbage once a tunnel is open: an idle WebSocket that keeps
// them holds several KiB for as long as it lives (issue 14, idle memory per WebSocket).
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

let backend: TestBackend;
let proxy: ProxyServer;
let port: number;
beforeAll(async () => {
  backend = await startTestBackend({ name: 'b1' });
});
afterAll(async () => {
  await backend?.close();
});

async function startProxy(frameTracking: boolean): Promise<void> {
  const config = loadConfig({
    flags: {
      nodeId: 'unit',
      logLevel: 'silent',
      listen: '127.0.0.1:0',
      backends: [`b1=${backend.url}`],
      frameTracking: String(frameTracking),
    },
  });
  const pool = new BackendPool({ onFailure: () => undefined });
  pool.setBackends(config.backends);
  proxy = createProxyServer(config, pool, pino({ level: 'silent' }));
  port = await new Promise<number>((resolve) =>
    proxy.listeners.listen((server) => resolve((server.address() as AddressInfo).port)),
  );
}

/** WeakRefs to every handshake object of the upgrades made while `during` runs. */
async function handshakeObjects(during: () => Promise<void>): Promise<Array<WeakRef<object>>> {
  const refs: Array<WeakRef<object>> = [];
  const onUpgradeRequest = (req: IncomingMessage): void => void refs.push(new WeakRef(req));
  const requests = channel('http.client.request.start');
  const onClientRequest = (message: unknown): void => {
    const { request } = message as { request: import('node:http').ClientRequest };
    // The test's own ws clients make ClientRequests too: only Mooring's carry forwarding headers.
    if (request.getHeader('x-forwarded-for') === undefined) return;
    refs.push(new WeakRef(request));
    request.once('upgrade', (res: IncomingMessage) => void refs.push(new WeakRef(res)));
  };
  proxy.listeners.plain.prependListener('upgrade', onUpgradeRequest);
  requests.subscribe(onClientRequest);
  try {
    await during();
  } finally {
    proxy.listeners.plain.removeListener('upgrade', onUpgradeRequest);
    requests.unsubscribe(onClientRequest);
  }
  return refs;
}

async function openEchoing(count: number): Promise<WebSocket[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      // One round trip: the tunnel relays both ways, as an idle one did before it went quiet.
      ws.send('ping');
      await new Promise((resolve) => ws.once('message', resolve));
      return ws;
    }),
  );
}

describe.each([true, false])('an open tunnel keeps nothing of its handshake (frame tracking %s)', (frameTracking) => {
  beforeAll(() => startProxy(frameTracking));
  afterAll(() => proxy?.destroy());

  it('the upgrade request, the ClientRequest and the 101 response are collected while the WebSockets stay open', async () => {
    let clients: WebSocket[] = [];
    const refs = await handshakeObjects(async () => {
      clients = await openEchoing(5);
    });
    try {
      // 5 upgrade requests, 5 ClientRequests, 5 responses.
      expect(refs).toHaveLength(15);
      // A few macrotasks: http-proxy's and Node's handshake callbacks are all done by then.
      for (let round = 0; round < 5; round++) await new Promise((resolve) => setImmediate(resolve));
      collectGarbage();
      expect(refs.filter((ref) => ref.deref() !== undefined).map((ref) => ref.deref()!.constructor.name)).toEqual([]);
      // And the tunnels still work.
      for (const ws of clients) {
        ws.send('still here');
        expect(String(await new Promise((resolve) => ws.once('message', resolve)))).toBe('still here');
      }
    } finally {
      for (const ws of clients) ws.terminate();
    }
  });
});
