import { execFileSync } from 'node:child_process';
import { Redis } from 'ioredis';
import {
  openRecordingClient,
  requestText,
  runMooring,
  startTestBackend,
  type LogLine,
  type MooringNode,
  type RecordingClient,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';
import { ReconnectingFleet } from '../support/reconnecting-fleet.js';
import { establishedConnections } from '../support/tcp-sockets.js';
import { markLog, meanRate, monotonicNow, settle, within } from '../support/waits.js';

let redis: RedisServerProcess;
let raw: Redis;
const started: TestBackend[] = [];
beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url, { lazyConnect: true });
  await raw.connect();
});
afterAll(async () => {
  raw?.disconnect();
  await Promise.all(started.map((backend) => backend.close()));
  await redis?.stop();
});

async function backendsNamed(...names: string[]): Promise<TestBackend[]> {
  const backends = await Promise.all(names.map((name) => startTestBackend({ name })));
  started.push(...backends);
  return backends;
}

const cli = (prefix: string, args: string[]) => runMooring([...args, '--redis', redis.url, '--prefix', prefix]);

/**
 * How much faster than `--close-rate` closes may arrive, on average over the whole run. Load
 * slows the primary's ticks (they don't catch up), so it can only make closes slower, except
 * that a stall of a worker or of this test process bunches the closes it delays: over the whole
 * run, 1.5 × leaves a stall of a third of the run (about 0.7 s of 2 s, 1.3 s of 4 s) before a
 * correct pace reads as too fast, where a per-second peak would read any stall as a burst; and
 * closing at twice the rate (a rate counted per worker or per backend instead of shared) or all
 * at once (no pacing) still fails.
 */
const paceSlack = 1.5;

describe('rollout behind two nodes with 100 reconnecting clients', () => {
  const prefix = uniquePrefix();
  let nodes: MooringNode[];
  let fleet: ReconnectingFleet;
  beforeAll(async () => {
    const [old1, old2] = await backendsNamed('old-1', 'old-2');
    for (const backend of [old1!, old2!]) await raw.hset(`${prefix}:backends`, backend.name, backend.url);
    nodes = await Promise.all([startSharedNode(redis, prefix, 'roll-a'), startSharedNode(redis, prefix, 'roll-b')]);
  });
  afterAll(async () => {
    await fleet?.stop();
    await Promise.all(nodes.map((node) => node.stop()));
  });

  it('moves every client to the new backends with valid 1012 closes, paced, and no failed handshake', async () => {
    fleet = new ReconnectingFleet(
      nodes.map((node) => `${node.wsUrl}/`),
      100,
    );
    await fleet.start();
    expect(new Set(fleet.backends())).toEqual(new Set(['old-1', 'old-2']));
    fleet.streamLargeMessages();
    const [new1, new2] = await backendsNamed('new-1', 'new-2');
    const closeRate = 25;
    const result = await cli(prefix, [
      'rollout',
      '--add',
      `new-1=${new1!.url},new-2=${new2!.url}`,
      '--retire',
      'old-1,old-2',
      '--deadline',
      '1s',
      '--close-rate',
      String(closeRate),
    ]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('rollout complete');
    await expect.poll(() => fleet.openCount(), settle).toBe(100);
    expect(new Set(fleet.backends())).toEqual(new Set(['new-1', 'new-2']));
    expect(fleet.handshakeFailures).toEqual([]);
    expect(fleet.protocolErrors).toEqual([]);
    expect(fleet.closes.length).toBeGreaterThanOrEqual(100);
    expect(fleet.closes.filter((close) => close.code !== 1012)).toEqual([]);
    // 100 closes at 25/s in total, shared by both retired backends and both nodes: about 4 s.
    expect(meanRate(fleet.closes.map((close) => close.at))).toBeLessThanOrEqual(paceSlack * closeRate);
    const registry = await raw.hkeys(`${prefix}:backends`);
    expect(registry.sort()).toEqual(['new-1', 'new-2']);
  });
});

describe('operator command errors', () => {
  it('says what is wrong in one line, with exit 1 for failures and 2 for bad arguments', async () => {
    const prefix = uniquePrefix();
    const cases: [string[], number, RegExp][] = [
      [['backend', 'list', '--redis', 'redis://127.0.0.1:1'], 1, /cannot connect to Redis at redis:\/\/127\.0\.0\.1:1/],
      [['backend', 'remove', 'nope', '--redis', redis.url, '--prefix', prefix], 1, /unknown backend "nope"/],
      [['backend', 'drain', 'nope', '--redis', redis.url, '--prefix', prefix], 1, /unknown backend "nope"/],
      [
        ['backend', 'add', 'x', 'ftp://127.0.0.1:1', '--redis', redis.url, '--prefix', prefix],
        2,
        /expected an http:\/\/ or https:\/\/ origin/,
      ],
      [
        ['backend', 'add', 'x', 'http://127.0.0.1:1', '--weight', 'heavy', '--redis', redis.url, '--prefix', prefix],
        2,
        /weight/,
      ],
      [
        ['backend', 'drain', 'x', '--deadline', 'soon', '--redis', redis.url, '--prefix', prefix],
        2,
        /--deadline: expected a duration/,
      ],
      [['backend', 'list', '--redis', 'localhost:6379'], 2, /--redis: expected a redis:\/\/ URL/],
      [['rollout', '--redis', redis.url, '--prefix', prefix], 2, /nothing to do/],
    ];
    for (const [args, code, message] of cases) {
      const result = await runMooring(args);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toMatch(message);
    }
  });
});

describe('drain --wait', () => {
  const prefix = uniquePrefix();
  let nodes: MooringNode[];
  beforeAll(async () => {
    const [d1, d2] = await backendsNamed('d-1', 'd-2');
    await raw.hset(`${prefix}:backends`, 'd-1', d1!.url, 'd-2', d2!.url);
    nodes = await Promise.all([startSharedNode(redis, prefix, 'wait-a'), startSharedNode(redis, prefix, 'wait-b')]);
  });
  afterAll(() => Promise.all(nodes.map((node) => node.stop())));

  it('returns 0 as soon as the last client leaves on its own, with the count at zero on both nodes', async () => {
    const clients: RecordingClient[] = [];
    for (let i = 0; i < 12; i++) clients.push(await openRecordingClient(`${nodes[i % 2]!.wsUrl}/`));
    const onD1 = clients.filter((client) => client.upgradeHeaders['x-backend'] === 'd-1');
    expect(onD1.length).toBeGreaterThan(1);
    const marks = nodes.map((node) => markLog(node));
    const waiting = cli(prefix, ['backend', 'drain', 'd-1', '--deadline', '60s', '--wait']);
    let finished = false;
    void waiting.then(() => (finished = true));
    // New sessions avoid d-1 on both nodes, once each has heard of the drain (not merely once
    // Redis holds it), while the old sessions stay open and working.
    const drainingHeard = (line: LogLine): boolean =>
      line.msg === 'backends changed' &&
      (line.backends as string[]).some((entry) => entry.startsWith('d-1=') && entry.endsWith('(draining)'));
    await Promise.all(marks.map((mark) => mark.next(drainingHeard, settle.timeout)));
    for (const node of nodes) {
      const fresh = await openRecordingClient(`${node.wsUrl}/`);
      expect(fresh.upgradeHeaders['x-backend']).toBe('d-2');
      await fresh.close();
    }
    for (const client of onD1.slice(0, -1)) {
      expect(await client.request('still here')).toBe('still here');
      await client.close(1000);
    }
    expect(finished).toBe(false);
    await onD1.at(-1)!.close(1000);
    // "As soon as": the table flush, a heartbeat (300 ms) and the CLI's next look (200 ms) take
    // well under a second when idle; 10 s leave room for a loaded machine and are still far from
    // the 60 s deadline that a drain not watching the count would wait for.
    const result = await within(waiting, 10_000, 'drain --wait returning after the last client left');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('d-1 drained: no live connections');
    const list = JSON.parse((await cli(prefix, ['backend', 'list', '--json'])).stdout);
    expect(list.backends.find((row: { id: string }) => row.id === 'd-1')).toMatchObject({
      state: 'draining',
      live: 0,
      liveByNode: {},
    });
    await Promise.all(clients.map((client) => client.close()));
  });

  it('closes keep-alive HTTP connections to a draining backend once their request is answered', async () => {
    const [k1] = await backendsNamed('k-1');
    await raw.hset(`${prefix}:backends`, 'k-1', k1!.url);
    const toK1 = (): number =>
      establishedConnections(k1!.port).filter((connection) => connection.peer.endsWith(`:${k1!.port}`)).length;
    await expect
      .poll(async () => {
        for (let i = 0; i < 6; i++) await requestText(`${nodes[0]!.url}/warm`);
        return toK1();
      }, settle)
      .toBeGreaterThan(0);
    expect((await cli(prefix, ['backend', 'drain', 'k-1', '--deadline', '60s'])).code).toBe(0);
    // Left alone, idle keep-alive sockets would close 4 s after their last request (the agent's
    // idle timeout), that is 3 s or more after the CLI's exit. The node's part after that exit is
    // one pub/sub message and one IPC message: 2 s leave room for a loaded machine.
    await expect.poll(toK1, { timeout: 2000, interval: 50 }).toBe(0);
    expect((await cli(prefix, ['backend', 'remove', 'k-1'])).code).toBe(0);
  });

  it('exits non-zero at the deadline, saying how many connections were closed by force', async () => {
    const [f1] = await backendsNamed('f-1');
    expect((await cli(prefix, ['backend', 'add', 'f-1', f1!.url])).code).toBe(0);
    await Promise.all(
      nodes.map((node) =>
        node.waitForLog((line) => line.msg === 'backends changed' && String(line.backends).includes('f-1')),
      ),
    );
    const clients: RecordingClient[] = [];
    try {
      while (clients.filter((client) => client.upgradeHeaders['x-backend'] === 'f-1').length < 3)
        clients.push(await openRecordingClient(`${nodes[clients.length % 2]!.wsUrl}/`));
      const onF1 = clients.filter((client) => client.upgradeHeaders['x-backend'] === 'f-1');
      await expect
        .poll(
          async () =>
            JSON.parse((await cli(prefix, ['backend', 'list', '--json'])).stdout).backends.find(
              (row: { id: string }) => row.id === 'f-1',
            )?.live,
          settle,
        )
        .toBe(3);
      const result = await cli(prefix, [
        'backend',
        'drain',
        'f-1',
        '--deadline',
        '500ms',
        '--close-rate',
        '50',
        '--wait',
      ]);
      expect(result.code).toBe(3);
      expect(result.stderr).toContain('f-1 drained at the deadline: 3 connection(s) closed by force');
      expect((await Promise.all(onF1.map((client) => client.closed))).map((close) => close.code)).toEqual([
        1012, 1012, 1012,
      ]);
      expect((await cli(prefix, ['backend', 'remove', 'f-1'])).code).toBe(0);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  });

  it('remove --drain drains, waits and removes', async () => {
    const [g1] = await backendsNamed('g-1');
    expect((await cli(prefix, ['backend', 'add', 'g-1', g1!.url])).code).toBe(0);
    await nodes[0]!.waitForLog((line) => line.msg === 'backends changed' && String(line.backends).includes('g-1'));
    const clients: RecordingClient[] = [];
    while (!clients.some((client) => client.upgradeHeaders['x-backend'] === 'g-1'))
      clients.push(await openRecordingClient(`${nodes[0]!.wsUrl}/`));
    await expect
      .poll(
        async () =>
          JSON.parse((await cli(prefix, ['backend', 'list', '--json'])).stdout).backends.find(
            (row: { id: string }) => row.id === 'g-1',
          )?.live,
        settle,
      )
      .toBe(1);
    const result = await cli(prefix, ['backend', 'remove', 'g-1', '--drain', '--deadline', '300ms']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('removed backend g-1');
    expect(await raw.hexists(`${prefix}:backends`, 'g-1')).toBe(0);
    await Promise.all(clients.map((client) => client.close()));
  });

  it('refuses to remove a backend with live connections unless --force, and undrains', async () => {
    const client = await openRecordingClient(`${nodes[0]!.wsUrl}/`);
    const busy = String(client.upgradeHeaders['x-backend']);
    await expect
      .poll(
        async () =>
          JSON.parse((await cli(prefix, ['backend', 'list', '--json'])).stdout).backends.find(
            (row: { id: string }) => row.id === busy,
          )?.live,
        settle,
      )
      .toBe(1);
    const refused = await cli(prefix, ['backend', 'remove', busy]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain(`backend ${busy} has 1 live connection(s)`);
    expect((await cli(prefix, ['backend', 'undrain', 'd-1'])).code).toBe(0);
    await client.close();
  });
});

describe('an interrupted rollout', () => {
  const prefix = uniquePrefix();
  let nodes: MooringNode[];
  beforeAll(async () => {
    const [i1] = await backendsNamed('i-old');
    await raw.hset(`${prefix}:backends`, 'i-old', i1!.url);
    nodes = await Promise.all([startSharedNode(redis, prefix, 'resume-a')]);
  });
  afterAll(() => Promise.all(nodes.map((node) => node.stop())));

  it('carries on from where it stopped when run again', async () => {
    const [fresh] = await backendsNamed('i-new');
    const client = await openRecordingClient(`${nodes[0]!.wsUrl}/`);
    // The first run got as far as registering the new backend and starting the drain.
    expect((await cli(prefix, ['backend', 'add', 'i-new', fresh!.url])).code).toBe(0);
    expect((await cli(prefix, ['backend', 'drain', 'i-old', '--deadline', '400ms', '--close-rate', '20'])).code).toBe(
      0,
    );
    const result = await cli(prefix, [
      'rollout',
      '--add',
      `i-new=${fresh!.url}`,
      '--retire',
      'i-old',
      '--deadline',
      '10m',
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('i-new: already registered');
    expect(result.stdout).toContain('i-old: removed');
    expect(result.stdout).toContain('rollout complete');
    expect((await client.closed).code).toBe(1012);
    expect(await raw.hkeys(`${prefix}:backends`)).toEqual(['i-new']);
    const again = await cli(prefix, ['rollout', '--add', `i-new=${fresh!.url}`, '--retire', 'i-old']);
    expect(again.stdout).toContain('i-old: already removed');
  });
});

describe('node lifecycle', () => {
  const prefix = uniquePrefix();
  let node: MooringNode;
  let other: MooringNode;
  beforeAll(async () => {
    const [l1, l2] = await backendsNamed('l-1', 'l-2');
    await raw.hset(`${prefix}:backends`, 'l-1', l1!.url, 'l-2', l2!.url);
    [node, other] = await Promise.all([
      startSharedNode(redis, prefix, 'life-a', ['--close-rate', '20', '--shutdown-deadline', '20s']),
      startSharedNode(redis, prefix, 'life-b'),
    ]);
  });
  afterAll(() => Promise.all([other?.stop(), node && node.process.exitCode === null ? node.stop() : undefined]));

  const ownerPids = (port: number): number[] => {
    const output = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
    return [...output.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
  };

  it('SIGHUP replaces the workers one at a time and keeps 50 live WebSockets open and echoing', async () => {
    const clients = await Promise.all(Array.from({ length: 50 }, () => openRecordingClient(`${node.wsUrl}/`)));
    const oldPids = new Set(ownerPids(node.port));
    process.kill(node.pid, 'SIGHUP');
    await node.waitForLog((line) => line.msg === 'reload complete', 15_000);
    for (const [index, client] of clients.entries())
      expect(await client.request(`after reload ${index}`)).toBe(`after reload ${index}`);
    expect(clients.every((client) => client.ws.readyState === client.ws.OPEN)).toBe(true);
    const fresh = await Promise.all(Array.from({ length: 6 }, () => openRecordingClient(`${node.wsUrl}/`)));
    // New connections are the new workers'; so are the 50 live ones, handed over (worker-handover.test.ts).
    await expect.poll(() => ownerPids(node.port).filter((pid) => !oldPids.has(pid)).length, settle).toBe(56);
    for (const client of fresh) expect(await client.request('new worker')).toBe('new worker');
    await Promise.all([...clients, ...fresh].map((client) => client.close()));
  });

  it('SIGTERM fails /readyz, closes the WebSockets with valid close frames, paced, exits 0; the other node keeps serving', async () => {
    const clients = await Promise.all(Array.from({ length: 40 }, () => openRecordingClient(`${node.wsUrl}/`)));
    const survivors = await Promise.all(Array.from({ length: 5 }, () => openRecordingClient(`${other.wsUrl}/`)));
    const closes: number[] = [];
    const codes = clients.map((client) => client.closed.then((close) => (closes.push(monotonicNow()), close.code)));
    const exit = node.stop('SIGTERM', 30_000);
    // 503 while the node is still closing (about 2 s here), not merely unreachable once it exited.
    await expect
      .poll(async () => (await requestText(`${node.adminUrl}/readyz`).catch(() => ({ status: 0 }))).status, settle)
      .toBe(503);
    // On failure, the node's own account of its shutdown says more than the codes.
    const story = (): string =>
      JSON.stringify(
        node.logs.filter((line) => (line.level as number) >= 40 || /shut|stop|exit|retir/.test(String(line.msg))),
      );
    expect(await Promise.all(codes), story()).toEqual(Array(40).fill(1012));
    expect(clients.every((client) => client.errors.length === 0)).toBe(true);
    // 40 closes at --close-rate 20: about 2 s.
    expect(meanRate(closes)).toBeLessThanOrEqual(paceSlack * 20);
    expect(await exit).toBe(0);
    for (const client of survivors) expect(await client.request('other node')).toBe('other node');
    const fresh = await openRecordingClient(`${other.wsUrl}/`);
    expect(await fresh.request('still serving')).toBe('still serving');
    await Promise.all([...survivors, fresh].map((client) => client.close()));
    const { nodes } = JSON.parse((await cli(prefix, ['status', '--json'])).stdout);
    expect(nodes.map((entry: { id: string }) => entry.id)).toEqual(['life-b']);
  });
});
