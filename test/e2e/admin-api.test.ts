import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  openRecordingClient,
  requestText,
  startTestBackend,
  type MooringNode,
  type RecordingClient,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';
import { settle } from '../support/waits.js';

interface StatusBackend {
  id: string;
  state: string;
  live: number;
  liveByNode: Record<string, number>;
  drain?: { remaining: number; closeRate: number; closeCode: number };
}
interface Status {
  stale: boolean;
  node: { id: string; degraded: boolean; live: number; workers: { pid: number | null; live: number }[] };
  cluster: { nodes: { id: string }[]; backends: StatusBackend[] };
}

const token = 'e2e-admin-token-0123456789abcdef-xyz';
const tokenFile = join(mkdtempSync(join(tmpdir(), 'mooring-admin-')), 'admin-token');
writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });

/** A parsed JSON answer, asserted field by field. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- its shape is what the tests assert
type Json = any;

/** One admin API call; the body parsed. */
async function api(
  node: MooringNode,
  method: string,
  path: string,
  options: { body?: unknown; auth?: boolean; token?: string } = {},
): Promise<{ status: number; headers: Record<string, unknown>; body: Json }> {
  const headers: Record<string, string> =
    options.auth === false ? {} : { authorization: `Bearer ${options.token ?? token}` };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await requestText(`${node.adminUrl}/api/v1/${path}`, {
    method,
    headers,
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    signal: AbortSignal.timeout(5_000),
  });
  return { status: response.status, headers: response.headers, body: JSON.parse(response.body) };
}

const status = async (node: MooringNode): Promise<Status> => (await api(node, 'GET', 'status', { auth: false })).body;
const backendOn = async (node: MooringNode, id: string): Promise<StatusBackend | undefined> =>
  (await status(node)).cluster.backends.find((backend) => backend.id === id);

let redis: RedisServerProcess;
let backend: TestBackend;
let a: MooringNode;
let b: MooringNode;
const clients: RecordingClient[] = [];
beforeAll(async () => {
  // A Redis of this file's own: the last test stops it.
  redis = await startRedisServer();
  backend = await startTestBackend({ name: 'api-1' });
  const prefix = uniquePrefix();
  // Node A takes mutations; node B has no token, so it refuses them all.
  [a, b] = await Promise.all([
    startSharedNode(redis, prefix, 'node-a', ['--admin-token-file', tokenFile], 1),
    startSharedNode(redis, prefix, 'node-b', [], 1),
  ]);
});
afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => {})));
  await Promise.all([a?.stop(), b?.stop()]);
  await backend?.close();
  await redis?.stop();
});

describe('the admin API on two nodes sharing one Redis', () => {
  it('adds a backend through node A that both nodes route to; live WebSockets show per node', async () => {
    const added = await api(a, 'POST', 'backends', { body: { id: 'api-1', url: backend.url } });
    expect({ status: added.status, created: added.body.created }).toEqual({ status: 201, created: true });
    await expect.poll(async () => (await backendOn(b, 'api-1'))?.state, settle).toBe('active');
    clients.push(
      ...(await Promise.all([
        openRecordingClient(`${a.wsUrl}/`),
        openRecordingClient(`${a.wsUrl}/`),
        openRecordingClient(`${b.wsUrl}/`),
      ])),
    );
    await expect
      .poll(async () => (await backendOn(b, 'api-1'))?.liveByNode, settle)
      .toEqual({ 'node-a': 2, 'node-b': 1 });
    const own = await status(a);
    expect({ live: own.node.live, workerLive: own.node.workers.map((worker) => worker.live) }).toEqual({
      live: 2,
      workerLive: [2],
    });
    expect(own.cluster.nodes.map((node) => node.id)).toEqual(['node-a', 'node-b']);
  });

  it('refuses a drain without the token (401) and on a node that has none (403)', async () => {
    const anonymous = await api(a, 'POST', 'backends/api-1/drain', { auth: false });
    expect({
      status: anonymous.status,
      code: anonymous.body.code,
      challenge: anonymous.headers['www-authenticate'],
    }).toEqual({
      status: 401,
      code: 'MOORING_ERR_ADMIN_UNAUTHORIZED',
      challenge: 'Bearer realm="mooring"',
    });
    const tokenless = await api(b, 'POST', 'backends/api-1/drain');
    expect({ status: tokenless.status, code: tokenless.body.code }).toEqual({
      status: 403,
      code: 'MOORING_ERR_ADMIN_MUTATIONS_DISABLED',
    });
    expect((await backendOn(a, 'api-1'))?.state).toBe('active');
    expect(
      a.logs.some((line) => line.msg === 'admin mutation refused' && line.result === 'MOORING_ERR_ADMIN_UNAUTHORIZED'),
    ).toBe(true);
  });

  it('drains with the token: node B sees it draining with its live connections left, and takes no new ones', async () => {
    const drained = await api(a, 'POST', 'backends/api-1/drain', { body: { deadline: '5m', closeRate: 10 } });
    expect({ status: drained.status, terms: [drained.body.drain.closeRate, drained.body.drain.closeCode] }).toEqual({
      status: 200,
      terms: [10, 1012],
    });
    await expect
      .poll(async () => {
        const seen = await backendOn(b, 'api-1');
        return { state: seen?.state, remaining: seen?.drain?.remaining };
      }, settle)
      .toEqual({ state: 'draining', remaining: 3 });
    // Both nodes route by it: no new session goes to the draining backend.
    const upgrades = backend.upgradeRequests;
    const refused = await openRecordingClient(`${b.wsUrl}/`).then(
      (client) => (clients.push(client), 'opened'),
      (err: Error) => err.name,
    );
    expect({ refused, upgrades: backend.upgradeRequests }).toEqual({ refused: 'UnexpectedResponseError', upgrades });
    expect(clients.map((client) => client.ws.readyState)).toEqual([1, 1, 1]);
    // Logs reach stdout asynchronously (pino, sync: false): the line may come after the answer.
    await expect
      .poll(() => a.logs.find((entry) => entry.msg === 'admin mutation' && entry.action === 'drain'), settle)
      .toMatchObject({ target: 'api-1', result: 'ok', remote: '127.0.0.1' });
    expect(JSON.stringify(a.logs)).not.toContain(token);
  });

  it('refuses to remove it while it has live connections (409), removes it with force=true', async () => {
    const refused = await api(a, 'DELETE', 'backends/api-1');
    expect({ status: refused.status, code: refused.body.code }).toEqual({
      status: 409,
      code: 'MOORING_ERR_BACKEND_HAS_CONNECTIONS',
    });
    const forced = await api(a, 'DELETE', 'backends/api-1?force=true');
    expect({ status: forced.status, body: forced.body }).toEqual({
      status: 200,
      body: { backend: 'api-1', removed: true, liveLeft: 3 },
    });
    await expect.poll(async () => (await backendOn(b, 'api-1'))?.id, settle).toBeUndefined();
  });

  it('reads the token file again on SIGHUP: the new token works, the old one no longer does', async () => {
    const next = 'e2e-rotated-token-0123456789abcdef-xyz';
    writeFileSync(tokenFile, `${next}\n`);
    a.process.kill('SIGHUP');
    // Authorized, the undrain of a removed backend is a 404; refused, a 401.
    await expect
      .poll(async () => (await api(a, 'POST', 'backends/api-1/undrain', { token: next })).status, settle)
      .toBe(404);
    expect((await api(a, 'POST', 'backends/api-1/undrain')).status).toBe(401);
  });

  it('still answers GET status once Redis is gone: stale, from the node itself', async () => {
    await redis.stop();
    await expect.poll(async () => (await status(a)).stale, settle).toBe(true);
    const stale = await status(a);
    expect({ nodes: stale.cluster.nodes, id: stale.node.id, live: stale.node.live }).toEqual({
      nodes: [],
      id: 'node-a',
      live: 2,
    });
    await expect.poll(async () => (await status(a)).node.degraded, settle).toBe(true);
    // What needs Redis says so with a code, and quickly.
    const backends = await api(a, 'GET', 'backends', { auth: false });
    expect({ status: backends.status, code: backends.body.code }).toEqual({
      status: 503,
      code: 'MOORING_ERR_ADMIN_STATE_UNAVAILABLE',
    });
  });
});
