import { performance } from 'node:perf_hooks';
import {
  openRecordingClient,
  requestText,
  startRedisCluster,
  startTestBackend,
  type LogLine,
  type MooringNode,
  type RecordingClient,
  type RedisCluster,
  type TestBackend,
} from '@mooring/testkit';
import { Cluster } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSharedNode, uniquePrefix, type SharedRedis } from '../support/redis-cluster-fixture.js';
import {
  cliOn,
  countsOf,
  echoAll,
  isDegraded,
  liveByBackend,
  openClients,
  watchDegraded,
} from '../support/redis-failover.js';
import { markLog, settle } from '../support/waits.js';

// Two nodes on a real Redis Cluster (3 masters, 3 replicas, a password): the registry through a
// cluster client, sticky cookies and hashing across nodes, a fleet-wide drain, then a master
// killed under live WebSockets.
const password = 'cluster-pass-4b9e';
const secret = 'shared-secret-0123456789abcdef';
const prefix = uniquePrefix();
const backendOf = (body: string): string => (JSON.parse(body) as { backend: string }).backend;
const membershipWith = (id: string) => (line: LogLine) =>
  line.msg === 'backends changed' && String(line.backends).includes(`${id}=`);
const membershipWithout = (id: string) => (line: LogLine) =>
  line.msg === 'backends changed' && !String(line.backends).includes(`${id}=`);

let cluster: RedisCluster;
let redis: SharedRedis;
let raw: Cluster;
let backends: TestBackend[];
let a: MooringNode;
let b: MooringNode;
beforeAll(async () => {
  [cluster, backends] = await Promise.all([
    startRedisCluster({ password }),
    Promise.all(['c1', 'c2', 'c3'].map((name) => startTestBackend({ name }))),
  ]);
  redis = { url: cluster.url };
  raw = new Cluster(
    cluster.ports.map((port) => ({ host: '127.0.0.1', port })),
    { redisOptions: { password } },
  );
  raw.on('error', () => {});
  await raw.hset(`${prefix}:backends`, 'c1', backends[0]!.url, 'c2', backends[1]!.url);
  const args = ['--sticky', 'cookie', '--cookie-secret', secret];
  [a, b] = await Promise.all([
    startSharedNode(redis, prefix, 'cluster-a', args, 1),
    startSharedNode(redis, prefix, 'cluster-b', args, 1),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  raw?.disconnect();
  await Promise.all((backends ?? []).map((backend) => backend.close()));
  await cluster?.stop();
});

async function seenThrough(node: MooringNode, requests: number): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < requests; i++) seen.add(backendOf((await requestText(`${node.url}/`)).body));
  return seen;
}

describe('two nodes on a Redis Cluster', () => {
  it('applies a raw HSET and HDEL made through a cluster client on both nodes within 2 s', async () => {
    const beforeAdd = [a, b].map(markLog);
    await raw.hset(`${prefix}:backends`, 'c3', backends[2]!.url);
    await Promise.all(beforeAdd.map((mark) => mark.next(membershipWith('c3'), 2_000)));
    await expect
      .poll(async () => (await seenThrough(a, 6)).has('c3') && (await seenThrough(b, 6)).has('c3'), settle)
      .toBe(true);
    const beforeRemove = [a, b].map(markLog);
    await raw.hdel(`${prefix}:backends`, 'c3');
    await Promise.all(beforeRemove.map((mark) => mark.next(membershipWithout('c3'), 2_000)));
  });

  it('honours on node B a cookie node A issued, on HTTP and on the WebSocket handshake', async () => {
    const first = await requestText(`${a.url}/`);
    const cookie = first.headers['set-cookie']![0]!.split(';')[0]!;
    const pinned = backendOf(first.body);
    for (let i = 0; i < 10; i++) {
      expect(backendOf((await requestText(`${(i % 2 ? a : b).url}/`, { headers: { cookie } })).body)).toBe(pinned);
    }
    const ws = await openRecordingClient(`${b.wsUrl}/`, { headers: { cookie } });
    expect(ws.upgradeHeaders['x-backend']).toBe(pinned);
    await ws.close();
  });

  it('drains a backend fleet-wide: --wait returns once both nodes closed its sessions at the deadline', async () => {
    const clients = await openClients([a, b], 8);
    const onC1 = clients.filter((client) => client.upgradeHeaders['x-backend'] === 'c1');
    expect(onC1.length).toBeGreaterThan(1);
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));
    const drain = ['backend', 'drain', 'c1', '--deadline', '500ms', '--close-rate', '50', '--wait'];
    const result = await cliOn(redis, prefix, drain);
    expect(result.code).toBe(3);
    expect(result.stderr).toContain(`c1 drained at the deadline: ${onC1.length} connection(s) closed by force`);
    expect(new Set((await Promise.all(onC1.map((client) => client.closed))).map(({ code }) => code))).toEqual(
      new Set([1012]),
    );
    expect((await cliOn(redis, prefix, ['backend', 'undrain', 'c1'])).code).toBe(0);
    await Promise.all(clients.map((client) => client.close()));
  });
});

describe('hash stickiness across two more nodes of the same cluster', () => {
  let nodes: MooringNode[] = [];
  beforeAll(async () => {
    const args = ['--sticky', 'hash', '--hash-key', 'header:x-user'];
    nodes = await Promise.all(['hash-a', 'hash-b'].map((id) => startSharedNode(redis, prefix, id, args, 1)));
  });
  afterAll(() => Promise.all(nodes.map((node) => node.stop())));

  it('sends each key to the same backend through either node', async () => {
    const used = new Set<string>();
    for (let key = 0; key < 60; key++) {
      const headers = { 'x-user': `user-${key}` };
      const [viaA, viaB] = await Promise.all(nodes.map((node) => requestText(`${node.url}/`, { headers })));
      expect(backendOf(viaB!.body), `key ${key}`).toBe(backendOf(viaA!.body));
      used.add(backendOf(viaA!.body));
    }
    expect(used).toEqual(new Set(['c1', 'c2']));
  });
});

// Last: it kills a master, which the tests above must not see.
describe('a master of the Redis Cluster killed under live WebSockets', () => {
  let clients: RecordingClient[] = [];
  afterAll(() => Promise.all(clients.map((client) => client.close())));

  it('keeps serving, degrades at most for the failover window, and converges again without a restart', async () => {
    clients = await openClients([a, b], 10);
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));
    const pids = [a.pid, b.pid];
    const degraded = watchDegraded([a, b]);
    // The master of the registry's slot: the registry, drains, node index and leases all go with it.
    const killedAt = performance.now();
    await cluster.kill(await cluster.masterOf(`${prefix}:backends`));
    // While the cluster fails over: every live WebSocket works, and each node takes new handshakes.
    await echoAll(clients);
    for (const node of [a, b]) clients.push(await openRecordingClient(`${node.wsUrl}/`));
    await cluster.waitHealthy();
    const promotedAt = performance.now();
    await expect.poll(async () => [await isDegraded(a), await isDegraded(b)], settle).toEqual([false, false]);
    const windows = await degraded.stop();
    // Degraded only between the kill and a few seconds after the promotion (a heartbeat, a retry).
    for (const window of windows) if (window) expect(window.last - promotedAt).toBeLessThan(5_000);
    expect(windows.some((window) => window !== undefined && window.first >= killedAt)).toBe(true);
    await echoAll(clients);
    for (const node of [a, b]) clients.push(await openRecordingClient(`${node.wsUrl}/`));
    // The tables republished after the outage: the cluster-wide counts equal the clients again.
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));
    expect([a.pid, b.pid]).toEqual(pids);
    [a, b].forEach((node, index) => {
      if (!windows[index]) return;
      expect(node.logs.some((line) => line.msg === 'shared state reachable again, re-publishing this node')).toBe(true);
    });
    // No log line of either node, and no output of the CLI, ever showed the password.
    for (const node of [a, b]) expect(node.rawOutput.join('\n')).not.toContain(password);
  });
});
