import { performance } from 'node:perf_hooks';
import {
  requestText,
  startTestBackend,
  type LogLine,
  type MooringNode,
  type RecordingClient,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';
import { cliOn, countsOf, echoAll, liveByBackend, openClients } from '../support/redis-failover.js';
import { settle } from '../support/waits.js';

// A standalone Redis without persistence restarted under two nodes: it comes back empty, and the
// nodes put back what it held, once for the fleet, without ever routing without it.
const prefix = uniquePrefix();
const backendOf = (body: string): string => (JSON.parse(body) as { backend: string }).backend;
const reseeded = (line: LogLine): boolean => /^shared state lost; re-seeded from node /.test(String(line.msg));

let redis: RedisServerProcess;
let raw: Redis;
let backends: TestBackend[];
let nodes: MooringNode[];
beforeAll(async () => {
  [redis, backends] = await Promise.all([
    startRedisServer(),
    Promise.all(['k1', 'k2', 'k3'].map((name) => startTestBackend({ name }))),
  ]);
  raw = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  raw.on('error', () => {});
  for (const backend of backends) {
    expect((await cliOn(redis, prefix, ['backend', 'add', backend.name, backend.url])).code).toBe(0);
  }
  nodes = await Promise.all(['loss-a', 'loss-b'].map((id) => startSharedNode(redis, prefix, id, [], 1)));
}, 60_000);
afterAll(async () => {
  await Promise.all((nodes ?? []).map((node) => node.stop()));
  raw?.disconnect();
  await Promise.all((backends ?? []).map((backend) => backend.close()));
  await redis?.stop();
});

/**
 * Sends requests through every node, one after another, until stopped, and keeps what answered
 * each: every answer must come from a backend (a 503 would mean a node routed without them).
 * Stopping lets `after` more answers come first (within 10 s), so that the traffic outlasts the
 * recovery however fast it was and however slow the machine is.
 */
function keepRequesting(after = 11): { stop(): Promise<Array<{ status: number; backend: string }>> } {
  const answers: Array<{ status: number; backend: string }> = [];
  let running = true;
  let stopAt = Infinity;
  let deadline = Infinity;
  const loop = async (): Promise<void> => {
    for (let i = 0; running || (answers.length < stopAt && performance.now() < deadline); i++) {
      const response = await requestText(`${nodes[i % nodes.length]!.url}/`);
      answers.push({ status: response.status, backend: response.status === 200 ? backendOf(response.body) : '' });
    }
  };
  const looping = loop();
  return {
    async stop() {
      stopAt = answers.length + after;
      deadline = performance.now() + 10_000;
      running = false;
      await looping;
      return answers;
    },
  };
}

describe('a standalone Redis restarted empty under two nodes', () => {
  let clients: RecordingClient[] = [];
  afterAll(() => Promise.all(clients.map((client) => client.close())));

  it('holds every backend again within 5 s, never stops routing, and keeps an operator removal', async () => {
    // The operator's removal, well before the loss: it must stay removed.
    expect((await cliOn(redis, prefix, ['backend', 'remove', 'k3'])).code).toBe(0);
    await expect
      .poll(async () => Object.keys(await raw.hgetall(`${prefix}:backends`)).sort(), settle)
      .toEqual(['k1', 'k2']);
    await expect
      .poll(() => Promise.all(nodes.map((node) => node.logs.filter((l) => l.msg === 'backends changed').at(-1))))
      .toSatisfy((lines: Array<LogLine | undefined>) => lines.every((line) => !String(line?.backends).includes('k3=')));
    clients = await openClients(nodes, 6);
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));

    const traffic = keepRequesting();
    await redis.restart(); // no persistence: it comes back empty
    const restartedAt = performance.now();
    await expect
      .poll(async () => Object.keys(await raw.hgetall(`${prefix}:backends`).catch(() => ({}))).sort(), {
        timeout: 5_000,
        interval: 50,
      })
      .toEqual(['k1', 'k2']);
    expect(performance.now() - restartedAt).toBeLessThan(5_000);
    const answers = await traffic.stop();

    expect(answers.length).toBeGreaterThan(10);
    expect(answers.filter((answer) => answer.status !== 200)).toEqual([]);
    // Which of the two answers depends on least-connections and where the WebSockets sit: every
    // answer came from a registered backend, none from a removed or missing one.
    expect(answers.every((answer) => answer.backend === 'k1' || answer.backend === 'k2')).toBe(true);
    // Once for the fleet: one node re-seeded and said so; the other adopted its marker.
    await expect.poll(() => nodes.map((node) => node.logs.filter(reseeded).length).sort(), settle).toEqual([0, 1]);
    const seeder = nodes.find((node) => node.logs.some(reseeded))!;
    const other = nodes.find((node) => node !== seeder)!;
    expect(seeder.logs.find(reseeded)).toMatchObject({ level: 40, restored: { backends: 2 } });
    await expect
      .poll(() => other.logs.some((line) => /^shared state was re-seeded by node /.test(String(line.msg))), settle)
      .toBe(true);
    const metrics = await Promise.all(nodes.map((node) => requestText(`${node.adminUrl}/metrics`)));
    const reseeds = metrics.map((m) => Number(/^mooring_state_reseeds_total (\d+)$/m.exec(m.body)?.[1]));
    expect(reseeds.sort()).toEqual([0, 1]);

    // The nodes re-register and re-publish their tables: the live WebSockets survived and count again.
    await echoAll(clients);
    await expect.poll(() => liveByBackend(redis, prefix), settle).toEqual(countsOf(clients));
    // Nothing came back that the operator had removed, on later polls either.
    expect(Object.keys(await raw.hgetall(`${prefix}:backends`)).sort()).toEqual(['k1', 'k2']);
  });
});
