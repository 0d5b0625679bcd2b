import { performance } from 'node:perf_hooks';
import {
  openRecordingClient,
  startRedisSentinelGroup,
  startTestBackend,
  type LogLine,
  type MooringNode,
  type RecordingClient,
  type RedisSentinelGroup,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mooringJson, startSharedNode, uniquePrefix, type SharedRedis } from '../support/redis-cluster-fixture.js';
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

// Two nodes and the CLI through Sentinel (a master, its replica, three sentinels; passwords on the
// data nodes, in the URL, and on the sentinels, as the option): the master killed under live
// WebSockets, the sentinels promote the replica, and nodes and `mooring status` follow.
const dataPassword = 'data-pass-71c2';
const sentinelPassword = 'sentinel-pass-e05d';
const prefix = uniquePrefix();
const membershipWith = (id: string) => (line: LogLine) =>
  line.msg === 'backends changed' && String(line.backends).includes(`${id}=`);

interface StatusJson {
  degraded: boolean;
  nodes: { id: string; degraded: boolean }[];
}

let group: RedisSentinelGroup;
let redis: SharedRedis;
let backends: TestBackend[];
let a: MooringNode;
let b: MooringNode;
beforeAll(async () => {
  [group, backends] = await Promise.all([
    startRedisSentinelGroup({ password: dataPassword, sentinelPassword }),
    Promise.all(['s1', 's2', 's3'].map((name) => startTestBackend({ name }))),
  ]);
  redis = { url: group.url, flags: ['--redis-sentinel-password', sentinelPassword] };
  for (const backend of backends.slice(0, 2)) {
    expect((await cliOn(redis, prefix, ['backend', 'add', backend.name, backend.url])).code).toBe(0);
  }
  [a, b] = await Promise.all([
    startSharedNode(redis, prefix, 'sentinel-a', [], 1),
    startSharedNode(redis, prefix, 'sentinel-b', [], 1),
  ]);
}, 60_000);
afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await Promise.all((backends ?? []).map((backend) => backend.close()));
  await group?.stop();
});

describe('two nodes through Sentinel', () => {
  let clients: RecordingClient[] = [];
  afterAll(() => Promise.all(clients.map((client) => client.close())));

  it('route what the CLI registered through the sentinels, and count it', async () => {
    clients = await openClients([a, b], 8);
    expect(new Set(clients.map((client) => client.upgradeHeaders['x-backend']))).toEqual(new Set(['s1', 's2']));
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));
    const status = await mooringJson<StatusJson>(redis, prefix, ['status']);
    expect(status.nodes.map((node) => [node.id, node.degraded])).toEqual([
      ['sentinel-a', false],
      ['sentinel-b', false],
    ]);
  });

  it('follow a failover: degraded only while the master is gone, serving throughout, no restart', async () => {
    const [first, second] = group.dataPorts as [number, number];
    expect(await group.masterPort()).toBe(first);
    const pids = [a.pid, b.pid];
    const degraded = watchDegraded([a, b]);
    const killedAt = performance.now();
    await group.kill(first);
    await echoAll(clients);
    for (const node of [a, b]) clients.push(await openRecordingClient(`${node.wsUrl}/`));
    await expect.poll(() => group.masterPort(), { timeout: 15_000, interval: 200 }).toBe(second);
    const promotedAt = performance.now();
    await expect.poll(async () => [await isDegraded(a), await isDegraded(b)], settle).toEqual([false, false]);
    const windows = await degraded.stop();
    expect(windows.every((window) => window !== undefined && window.first >= killedAt)).toBe(true);
    for (const window of windows) expect(window!.last - promotedAt).toBeLessThan(5_000);
    await echoAll(clients);
    // `mooring status` asks the sentinels afresh: the new master, both nodes, neither degraded.
    await expect
      .poll(async () => {
        const status = await mooringJson<StatusJson>(redis, prefix, ['status']);
        return [status.degraded, status.nodes.map((node) => [node.id, node.degraded])];
      }, settle)
      .toEqual([
        false,
        [
          ['sentinel-a', false],
          ['sentinel-b', false],
        ],
      ]);
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));
    // A change through the CLI reaches both nodes on the new master at once (pub/sub resubscribed).
    const marks = [a, b].map(markLog);
    expect((await cliOn(redis, prefix, ['backend', 'add', 's3', backends[2]!.url])).code).toBe(0);
    await Promise.all(marks.map((mark) => mark.next(membershipWith('s3'), 2_000)));
    expect([a.pid, b.pid]).toEqual(pids);
    for (const node of [a, b]) {
      const output = node.rawOutput.join('\n');
      expect(output).not.toContain(dataPassword);
      expect(output).not.toContain(sentinelPassword);
    }
    // The old master comes back as a replica of the new one; nothing changes for the nodes.
    await group.restart(first);
    expect(await group.waitHealthy()).toBe(second);
  });
});
