import { Redis } from 'ioredis';
import {
  openRecordingClient,
  requestText,
  runMooring,
  startTestBackend,
  type LogLine,
  type MooringNode,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAnnouncer, type Announcer } from '../support/announcer.js';
import { markLog } from '../support/waits.js';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';

/*
 * Leased self-registration end to end (README "Leased self-registration"): a real redis-server,
 * two real nodes, real backends and real `mooring backend announce` processes.
 */

let redis: RedisServerProcess;
let raw: Redis;
const prefix = uniquePrefix();
let nodes: MooringNode[];
let steady: TestBackend;
const backends: TestBackend[] = [];
const announcers: Announcer[] = [];

beforeAll(async () => {
  redis = await startRedisServer();
  raw = new Redis(redis.url);
  steady = await startTestBackend({ name: 'steady' });
  nodes = await Promise.all([startSharedNode(redis, prefix, 'ann-a'), startSharedNode(redis, prefix, 'ann-b')]);
});
afterAll(async () => {
  await Promise.all(announcers.map((announcer) => announcer.stop('SIGKILL').catch(() => undefined)));
  await Promise.all((nodes ?? []).map((node) => node.stop()));
  await Promise.all([steady, ...backends].map((backend) => backend?.close()));
  raw?.disconnect();
  await redis?.stop();
});

const redisArgs = (): string[] => ['--redis', redis.url, '--prefix', prefix];
const cli = (args: string[]) => runMooring([...args, ...redisArgs()]);

async function backend(name: string): Promise<TestBackend> {
  const started = await startTestBackend({ name });
  backends.push(started);
  return started;
}

async function announce(id: string, url: string, extra: string[] = []): Promise<Announcer> {
  const announcer = await startAnnouncer([id, url, '--ttl', '1s', ...extra, ...redisArgs()]);
  announcers.push(announcer);
  return announcer;
}

/** Which backend answered a plain request through `node`. */
async function servedBy(node: MooringNode): Promise<string> {
  const response = await requestText(`${node.url}/`);
  return String(response.headers['x-backend'] ?? `status ${response.status}`);
}

/** The backends of 6 requests, 3 through each node. */
async function answers(): Promise<string[]> {
  const each = await Promise.all(nodes.flatMap((node) => [servedBy(node), servedBy(node), servedBy(node)]));
  return [...new Set(each)].sort();
}

const settle = { timeout: 8_000, interval: 100 } as const;

/** The ids of a node's `backends changed` line, joined by commas; undefined for any other line. */
function membership(line: LogLine): string | undefined {
  if (line.msg !== 'backends changed' || !Array.isArray(line.backends)) return undefined;
  return (line.backends as string[]).map((entry) => entry.split('=')[0]).join(',');
}

/** One row of `mooring backend list --json`, the fields read here. */
interface ListedBackend {
  id: string;
  live: number;
  lease?: { ttlMs: number; remainingMs: number };
}

async function listed(): Promise<ListedBackend[]> {
  const result = await cli(['backend', 'list', '--json']);
  expect(result.code, result.stderr).toBe(0);
  return (JSON.parse(result.stdout) as { backends: ListedBackend[] }).backends;
}

describe('mooring backend announce', () => {
  it('registers a leased backend that both nodes route to, shown as leased in backend list', async () => {
    const auto = await backend('auto-1');
    const announcer = await announce('auto-1', auto.url);
    await expect.poll(answers, settle).toEqual(['auto-1']);
    const [entry] = await listed();
    expect(entry).toMatchObject({ id: 'auto-1', lease: { ttlMs: 1_000 } });
    expect(entry?.lease?.remainingMs).toBeGreaterThan(0);
    const table = await cli(['backend', 'list']);
    expect(table.stdout).toMatch(/LEASE/);
    expect(table.stdout).toMatch(/auto-1 .* of 1s/);
    // An operator's add of a live leased id is refused, and changes nothing.
    const add = await cli(['backend', 'add', 'auto-1', steady.url]);
    expect(add.code).toBe(1);
    expect(add.stderr).toMatch(/^mooring: backend "auto-1" is held by the live lease of an announcer/);
    expect(JSON.parse((await raw.hget(`${prefix}:backends`, 'auto-1'))!)).toMatchObject({ url: auto.url });
    expect(await announcer.stop('SIGTERM')).toBe(0);
  });

  it('SIGKILL: no new session goes to it after the TTL, and a live WebSocket on it stays open', async () => {
    const auto = await backend('auto-2');
    const announcer = await announce('auto-2', auto.url);
    await expect.poll(answers, settle).toEqual(['auto-2']);
    const client = await openRecordingClient(`${nodes[0]!.wsUrl}/`);
    expect(auto.openWebSockets).toBe(1);
    expect((await cli(['backend', 'add', 'steady', steady.url])).code).toBe(0);
    await Promise.all(nodes.map((node) => node.waitForLog((line) => membership(line) === 'auto-2,steady')));
    const marks = nodes.map(markLog);
    expect(await announcer.stop('SIGKILL')).toBe(137);
    // Once its 1 s lease has run out, both nodes drop it from their membership.
    await Promise.all(marks.map((mark) => mark.next((line) => membership(line) === 'steady', settle.timeout)));
    expect(await answers()).toEqual(['steady']);
    const fresh = await Promise.all(nodes.map((node) => openRecordingClient(`${node.wsUrl}/`)));
    expect(steady.openWebSockets).toBe(2);
    await Promise.all(fresh.map((each) => each.close(1000)));
    // The session opened before stays open, on the backend that is no longer registered.
    expect(await client.request('still here')).toBe('still here');
    expect(auto.openWebSockets).toBe(1);
    // The nodes purged the lapsed entry: the registry no longer has it.
    expect((await listed()).map(({ id }) => id)).toEqual(['steady']);
    await client.close(1000);
    expect((await cli(['backend', 'remove', 'steady'])).code).toBe(0);
  });

  it('SIGTERM: drains (live WebSocket closed gently at the deadline), removes it, exits 0', async () => {
    const auto = await backend('auto-3');
    const announcer = await announce('auto-3', auto.url, ['--drain-deadline', '500ms']);
    await expect.poll(answers, settle).toEqual(['auto-3']);
    const client = await openRecordingClient(`${nodes[1]!.wsUrl}/`);
    // The drain waits on the cluster-wide count, which the node publishes within its next batch.
    await expect.poll(async () => (await listed())[0], settle).toMatchObject({ id: 'auto-3', live: 1 });
    expect(await announcer.stop('SIGTERM')).toBe(0);
    expect((await client.closed).code).toBe(1012);
    expect(announcer.stdout()).toMatch(/draining auto-3/);
    expect(announcer.stdout()).toMatch(/removed auto-3\n$/);
    expect(await listed()).toEqual([]);
    expect(await raw.exists(`{${prefix}:backends}:backend-lease:auto-3`)).toBe(0);
  });

  it('refuses an id an operator registered: exit 4, one line, the entry unchanged', async () => {
    const auto = await backend('auto-4');
    expect((await cli(['backend', 'add', 'ops-1', steady.url])).code).toBe(0);
    const before = await raw.hgetall(`${prefix}:backends`);
    const result = await runMooring(['backend', 'announce', 'ops-1', auto.url, '--ttl', '1s', ...redisArgs()]);
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/^mooring: backend "ops-1" is registered by an operator.*nothing changed\n$/);
    expect(result.stdout).toBe('');
    expect(await raw.hgetall(`${prefix}:backends`)).toEqual(before);
    expect(await raw.exists(`{${prefix}:backends}:backend-lease:ops-1`)).toBe(0);
    expect((await cli(['backend', 'remove', 'ops-1'])).code).toBe(0);
  });

  it('refuses hostile arguments with exit 2 and a message naming the argument, before Redis', async () => {
    const url = 'http://127.0.0.1:4999';
    // The whole matrix runs in-process (packages/cli/test/backend-announce.test.ts); here, the real executable.
    const cases: [string[], RegExp][] = [
      [['bad id!', url], /id: expected a backend id/],
      [['ok-id', url, '--ttl', '0'], /--ttl: expected a duration from 1s to 1h, got "0"/],
      [['ok-id', url, '--weight', 'abc'], /weight: /],
    ];
    const results = await Promise.all(
      cases.map(([args]) => runMooring(['backend', 'announce', ...args, '--redis', 'redis://127.0.0.1:1'])),
    );
    results.forEach((result, index) => {
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toMatch(cases[index]![1]);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    });
    const noRedis = await runMooring(['backend', 'announce', 'ok-id', url], { MOORING_REDIS: '' });
    expect(noRedis.code).toBe(2);
    expect(noRedis.stderr).toMatch(/--redis URL .* is required/);
  });
});
