import { runMooring, startTestBackend, type MooringNode } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';
import { useFileRedis } from '../support/file-redis.js';
import { StickyFleet } from '../support/sticky-fleet.js';
import { meanRate, settle } from '../support/waits.js';

// `--auto-rebalance true` (issue 16 point 1): the fleet does what `mooring rebalance` does, on
// its own, with its defaults (10 %, 20/s, sessions at least 30 s old), one node at a time.

const shared = useFileRedis();
const { backends } = shared;

describe('--auto-rebalance after a scale-out from 3 to 6 backends, 60 sticky sessions on 2 nodes', () => {
  const prefix = uniquePrefix();
  const cli = (args: string[]) => runMooring([...args, '--redis', shared.redis.url, '--prefix', prefix]);
  const nodeIds = ['auto-a', 'auto-b'];
  let nodes: MooringNode[];
  let fleet: StickyFleet;
  beforeAll(async () => {
    const old = await Promise.all(['a-old-1', 'a-old-2', 'a-old-3'].map((name) => startTestBackend({ name })));
    backends.push(...old);
    for (const backend of old) await shared.raw.hset(`${prefix}:backends`, backend.name, backend.url);
    const args = [
      '--sticky',
      'cookie',
      '--cookie-secret',
      'auto-rebalance-e2e-secret-0123456789',
      '--auto-rebalance',
      'true',
    ];
    nodes = await Promise.all(nodeIds.map((id) => startSharedNode(shared.redis, prefix, id, args, 1)));
  });
  afterAll(async () => {
    await fleet?.stop();
    await Promise.all((nodes ?? []).map((node) => node.stop()));
  });

  it('one node rebalances on its own once the sessions are 30 s old: each backend within 10 %, each moved client closed once', async () => {
    fleet = new StickyFleet(
      nodes.map((node) => `${node.wsUrl}/`),
      60,
    );
    await fleet.start();
    const openedAt = performance.now();
    const added = await Promise.all(['a-new-1', 'a-new-2', 'a-new-3'].map((name) => startTestBackend({ name })));
    backends.push(...added);
    for (const backend of added) expect((await cli(['backend', 'add', backend.name, backend.url])).code).toBe(0);

    const ended = await Promise.any(
      nodes.map((node) => node.waitForLog((line) => line.msg === 'auto-rebalance ended', 70_000)),
    );
    expect(ended.state).toBe('balanced');
    // Nothing younger than the default --min-age (30 s) was touched.
    const firstClose = Math.min(...fleet.clients.flatMap((client) => client.closes.map((close) => close.at)));
    expect(firstClose - openedAt).toBeGreaterThanOrEqual(29_000);
    const starters = nodes.filter((node) => node.logs.some((line) => line.msg === 'auto-rebalance started'));
    expect(starters).toHaveLength(1);

    await expect.poll(() => fleet.openCount(), settle).toBe(60);
    expect(fleet.handshakeFailures).toEqual([]);
    // Share 10 each: 9 to 11.
    const now = fleet.current();
    for (const name of ['a-old-1', 'a-old-2', 'a-old-3', 'a-new-1', 'a-new-2', 'a-new-3']) {
      const live = now.filter((backend) => backend === name).length;
      expect({ name, live, within: Math.abs(live - 10) <= 1 }).toEqual({ name, live, within: true });
    }
    const closed = fleet.clients.filter((client) => client.closes.length > 0);
    expect(closed.map((client) => client.closes.length)).toEqual(closed.map(() => 1));
    expect(closed.every((client) => client.closes[0]!.code === 1012)).toBe(true);
    // The 27 the plan needs (9 off each old backend: 20 down to 11, the top of 10 + 10 %), or a
    // few more when a round corrects where reconnections landed; paced at the default 20/s.
    expect(closed.length).toBe(ended.closed);
    expect(closed.length).toBeGreaterThanOrEqual(27);
    expect(closed.length).toBeLessThanOrEqual(30);
    expect(meanRate(closed.map((client) => client.closes[0]!.at))).toBeLessThanOrEqual(1.5 * 20);
    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.rebalance).toMatchObject({ state: 'balanced', by: nodeIds[nodes.indexOf(starters[0]!)] });
  }, 120_000);
});
