import { Redis } from 'ioredis';
import { openRecordingClient, requestText, runMooring, startTestBackend, type MooringNode, type RecordingClient, type RedisServerProcess, type TestBackend } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mooringJson, startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';

interface BackendRow {
  id: string;
  state: string;
  health: string;
  live: number;
  liveByNode: Record<string, number>;
}

const secret = 'shared-secret-0123456789abcdef';
const backendOf = (body: string): string => (JSON.parse(body) as { backend: string }).backend;
const cookieOf = (setCookie: string[] | undefined): string => setCookie![0]!.split(';')[0]!;

let redis: RedisServerProcess;
let raw: Redis;
let backends: TestBackend[];
beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  raw.on('error', () => {});
  await raw.connect();
  backends = await Promise.all(['r1', 'r2', 'r3', 'r4'].map((name) => startTestBackend({ name })));
});
afterAll(async () => {
  raw?.disconnect();
  await Promise.all((backends ?? []).map((backend) => backend.close()));
  await redis?.stop();
});

/** Registers backends with plain HSET, as an operator with redis-cli would. */
async function registerRaw(prefix: string, names: string[]): Promise<void> {
  for (const name of names) await raw.hset(`${prefix}:backends`, name, backends.find((backend) => backend.name === name)!.url);
}

async function seenThrough(node: MooringNode, requests: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < requests; i++) seen.add(backendOf((await requestText(`${node.url}/`)).body));
  return seen;
}

describe('two nodes sharing one Redis, backends registered only through Redis', () => {
  const prefix = uniquePrefix();
  let a: MooringNode;
  let b: MooringNode;
  beforeAll(async () => {
    await registerRaw(prefix, ['r1', 'r2', 'r3']);
    [a, b] = await Promise.all([
      startSharedNode(redis, prefix, 'node-a', ['--sticky', 'cookie', '--cookie-secret', secret]),
      startSharedNode(redis, prefix, 'node-b', ['--sticky', 'cookie', '--cookie-secret', secret]),
    ]);
  });
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('honours on node B a cookie issued by node A', async () => {
    const first = await requestText(`${a.url}/`);
    const cookie = cookieOf(first.headers['set-cookie']);
    const pinned = backendOf(first.body);
    for (let i = 0; i < 20; i++) {
      const response = await requestText(`${(i % 2 ? a : b).url}/`, { headers: { cookie } });
      expect(backendOf(response.body)).toBe(pinned);
      expect(response.headers['set-cookie']).toBeUndefined();
    }
    const ws = await openRecordingClient(`${b.wsUrl}/`, { headers: { cookie } });
    expect(ws.upgradeHeaders['x-backend']).toBe(pinned);
    await ws.close();
  });

  it('uses a backend added with a raw HSET on both nodes within 2 s, and stops within 2 s of a raw HDEL', async () => {
    await registerRaw(prefix, ['r4']);
    await expect.poll(async () => (await seenThrough(a, 8)).has('r4'), { timeout: 2000, interval: 100 }).toBe(true);
    await expect.poll(async () => (await seenThrough(b, 8)).has('r4'), { timeout: 2000, interval: 100 }).toBe(true);
    await raw.hdel(`${prefix}:backends`, 'r4');
    await expect.poll(async () => !(await seenThrough(a, 8)).has('r4') && !(await seenThrough(b, 8)).has('r4'), { timeout: 2000, interval: 100 }).toBe(true);
    expect(await seenThrough(a, 12)).not.toContain('r4');
  });

  it('applies `mooring backend add` on both nodes within moments (pub/sub, not the poll)', async () => {
    expect((await runMooring(['backend', 'add', 'r4', backends[3]!.url, '--redis', redis.url, '--prefix', prefix])).code).toBe(0);
    await Promise.all([a, b].map((node) => node.waitForLog((line) => line.msg === 'backends changed' && String(line.backends).includes('r4'), 1000)));
    expect((await runMooring(['backend', 'remove', 'r4', '--redis', redis.url, '--prefix', prefix])).code).toBe(0);
    await expect.poll(async () => (await seenThrough(a, 8)).has('r4'), { timeout: 1000 }).toBe(false);
  });

  it('ignores a malformed registry entry, logs it once, and keeps the others working', async () => {
    await raw.hset(`${prefix}:backends`, 'broken', '{"url":"not a url"}');
    await a.waitForLog((line) => line.msg === 'ignoring malformed registry entry' && line.backend === 'broken', 3000);
    expect(await seenThrough(a, 9)).toEqual(new Set(['r1', 'r2', 'r3']));
    await expect.poll(() => a.logs.filter((line) => line.backend === 'broken').length, { timeout: 1500 }).toBe(1);
    await raw.hdel(`${prefix}:backends`, 'broken');
  });

  it('counts live WebSockets per backend, summed over both nodes, in `backend list --json`', async () => {
    const clients: RecordingClient[] = [];
    for (let i = 0; i < 5; i++) clients.push(await openRecordingClient(`${a.wsUrl}/`));
    for (let i = 0; i < 7; i++) clients.push(await openRecordingClient(`${b.wsUrl}/`));
    const expected: Record<string, number> = {};
    for (const client of clients) expected[String(client.upgradeHeaders['x-backend'])] = (expected[String(client.upgradeHeaders['x-backend'])] ?? 0) + 1;
    const live = async (): Promise<Record<string, number>> => {
      const { backends: rows } = await mooringJson<{ backends: BackendRow[] }>(redis, prefix, ['backend', 'list']);
      return Object.fromEntries(rows.filter((row) => row.live > 0).map((row) => [row.id, row.live]));
    };
    await expect.poll(live, { timeout: 3000 }).toEqual(expected);
    const { backends: rows } = await mooringJson<{ backends: BackendRow[] }>(redis, prefix, ['backend', 'list']);
    const perNode = rows.reduce((sum, row) => sum + (row.liveByNode['node-a'] ?? 0), 0);
    expect(perNode).toBe(5);
    await Promise.all(clients.map((client) => client.close()));
    await expect.poll(live, { timeout: 3000 }).toEqual({});
  });

  it('takes a backend failing its health check out of both nodes’ choices, and back after rise', async () => {
    await backends[1]!.setMode('unhealthy');
    // one interval (300 ms) × fall (2), plus a read: well within 2 s
    await expect.poll(async () => (await seenThrough(a, 9)).has('r2') || (await seenThrough(b, 9)).has('r2'), { timeout: 2000, interval: 100 }).toBe(false);
    const { backends: rows } = await mooringJson<{ backends: BackendRow[] }>(redis, prefix, ['backend', 'list']);
    expect(rows.find((row) => row.id === 'r2')?.health).toBe('unhealthy');
    await backends[1]!.setMode('ok');
    await expect.poll(async () => (await seenThrough(a, 9)).has('r2') && (await seenThrough(b, 9)).has('r2'), { timeout: 2000, interval: 100 }).toBe(true);
  });
});

describe('hash stickiness across two nodes', () => {
  const prefix = uniquePrefix();
  let a: MooringNode;
  let b: MooringNode;
  beforeAll(async () => {
    await registerRaw(prefix, ['r1', 'r2', 'r3']);
    const args = ['--sticky', 'hash', '--hash-key', 'header:x-user'];
    [a, b] = await Promise.all([startSharedNode(redis, prefix, 'hash-a', args), startSharedNode(redis, prefix, 'hash-b', args)]);
  });
  afterAll(() => Promise.all([a?.stop(), b?.stop()]));

  it('sends 200 keys to the same backend through both nodes', async () => {
    const mismatches: string[] = [];
    const used = new Set<string>();
    for (let key = 0; key < 200; key++) {
      const headers = { 'x-user': `user-${key}` };
      const [viaA, viaB] = await Promise.all([requestText(`${a.url}/`, { headers }), requestText(`${b.url}/`, { headers })]);
      used.add(backendOf(viaA.body));
      if (backendOf(viaA.body) !== backendOf(viaB.body)) mismatches.push(`user-${key}`);
    }
    expect(mismatches).toEqual([]);
    expect(used.size).toBe(3);
  });
});

describe('failures of nodes and of Redis', () => {
  const prefix = uniquePrefix();
  let a: MooringNode;
  let b: MooringNode;
  beforeAll(async () => {
    await registerRaw(prefix, ['r1', 'r2', 'r3']);
    [a, b] = await Promise.all([startSharedNode(redis, prefix, 'fail-a'), startSharedNode(redis, prefix, 'fail-b')]);
  });
  afterAll(() => Promise.all([a?.stop(), b && b.process.exitCode === null && b.process.signalCode === null ? b.stop() : undefined]));

  /** Live sessions per node, from the cluster-wide connection table (`mooring connections`). */
  const totalLive = async (): Promise<Record<string, number>> => {
    const { connections } = await mooringJson<{ connections: { node: string }[] }>(redis, prefix, ['connections']);
    const byNode: Record<string, number> = {};
    for (const connection of connections) byNode[connection.node] = (byNode[connection.node] ?? 0) + 1;
    return byNode;
  };

  it('drops a SIGKILLed node and its connections within 3 heartbeats; the other keeps serving and takes over health checks', async () => {
    // Kill whichever node holds the health-check lease, to see the lease move too.
    await expect.poll(() => raw.get(`${prefix}:lease:health`), { timeout: 3000 }).toMatch(/^fail-[ab]$/);
    const holder = (await raw.get(`${prefix}:lease:health`))!;
    const [victim, survivor] = holder === 'fail-a' ? [a, b] : [b, a];
    const survivorId = holder === 'fail-a' ? 'fail-b' : 'fail-a';
    const onSurvivor = await Promise.all(Array.from({ length: 3 }, () => openRecordingClient(`${survivor.wsUrl}/`)));
    const onVictim = await Promise.all(Array.from({ length: 4 }, () => openRecordingClient(`${victim.wsUrl}/`)));
    await expect.poll(totalLive, { timeout: 3000 }).toEqual({ [survivorId]: 3, [holder]: 4 });
    await victim.kill();
    const killedAt = Date.now();
    await expect.poll(totalLive, { timeout: 3000, interval: 100 }).toEqual({ [survivorId]: 3 });
    // 3 heartbeats of 300 ms, plus the time of one poll of the CLI
    expect(Date.now() - killedAt).toBeLessThan(2500);
    const { nodes } = await mooringJson<{ nodes: { id: string }[] }>(redis, prefix, ['status']);
    expect(nodes.map((node) => node.id)).toEqual([survivorId]);
    for (const client of onSurvivor) expect(await client.request('alive')).toBe('alive');
    await Promise.all(onVictim.map((client) => client.closed));

    await expect.poll(() => raw.get(`${prefix}:lease:health`), { timeout: 3000 }).toBe(survivorId);
    await backends[2]!.setMode('unhealthy');
    await expect.poll(async () => (await seenThrough(survivor, 9)).has('r3'), { timeout: 3000, interval: 100 }).toBe(false);
    await backends[2]!.setMode('ok');
    await expect.poll(async () => (await seenThrough(survivor, 9)).has('r3'), { timeout: 3000, interval: 100 }).toBe(true);
    await Promise.all(onSurvivor.map((client) => client.close()));
    if (survivor === b) [a, b] = [b, a]; // the next test runs on the survivor, as `a`
  });

  it('keeps routing while Redis is down, reports degraded, and reconverges when it returns', async () => {
    const aId = a.logs.find((line) => line.msg === 'node ready')!.node as string;
    const before = await Promise.all(Array.from({ length: 4 }, () => openRecordingClient(`${a.wsUrl}/`)));
    await expect.poll(totalLive, { timeout: 3000 }).toEqual({ [aId]: 4 });
    await redis.stop();
    await a.waitForLog((line) => /shared state unreachable/.test(String(line.msg)), 3000);
    const ready = JSON.parse((await requestText(`${a.adminUrl}/readyz`)).body);
    expect(ready).toMatchObject({ status: 'degraded', degraded: true });
    for (const client of before) expect(await client.request('during outage')).toBe('during outage');
    const during = await Promise.all(Array.from({ length: 3 }, () => openRecordingClient(`${a.wsUrl}/`)));
    for (const client of during) expect(await client.request('new during outage')).toBe('new during outage');
    expect((await requestText(`${a.url}/`)).status).toBe(200);
    expect(a.logs.filter((line) => /shared state unreachable/.test(String(line.msg)))).toHaveLength(1);

    // This test Redis keeps nothing on disk: it comes back empty, and only the nodes can
    // rebuild the connection table. (The registry is the operator's to restore.)
    await redis.restart();
    await a.waitForLog((line) => line.msg === 'shared state reachable again, re-publishing this node', 5000);
    await expect.poll(totalLive, { timeout: 4000 }).toEqual({ [aId]: 7 });
    await registerRaw(prefix, ['r1', 'r2', 'r3']);
    await expect.poll(async () => (await mooringJson<{ backends: BackendRow[] }>(redis, prefix, ['backend', 'list'])).backends.reduce((sum, row) => sum + row.live, 0), { timeout: 3000 }).toBe(7);
    expect(JSON.parse((await requestText(`${a.adminUrl}/readyz`)).body)).toMatchObject({ status: 'ready', degraded: false });
    await Promise.all([...before, ...during].map((client) => client.close()));
    await expect.poll(totalLive, { timeout: 3000 }).toEqual({});
  });
});
