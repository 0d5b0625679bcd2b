import { runMooring, startTestBackend, type MooringNode } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';
import { useFileRedis } from '../support/file-redis.js';
import { StickyFleet } from '../support/sticky-fleet.js';
import { meanRate, settle, within } from '../support/waits.js';

const shared = useFileRedis();
const { backends } = shared;

const secret = 'rebalance-e2e-cookie-secret-0123456789';

describe('mooring rebalance after a scale-out from 3 to 6 backends, 90 sticky sessions on 2 nodes', () => {
  const prefix = uniquePrefix();
  const cli = (args: string[]) => runMooring([...args, '--redis', shared.redis.url, '--prefix', prefix]);
  let nodes: MooringNode[];
  let fleet: StickyFleet;
  beforeAll(async () => {
    const old = await Promise.all(['old-1', 'old-2', 'old-3'].map((name) => startTestBackend({ name })));
    backends.push(...old);
    for (const backend of old) await shared.raw.hset(`${prefix}:backends`, backend.name, backend.url);
    const args = ['--sticky', 'cookie', '--cookie-secret', secret];
    nodes = await Promise.all(['reb-a', 'reb-b'].map((id) => startSharedNode(shared.redis, prefix, id, args, 1)));
  });
  afterAll(async () => {
    await fleet?.stop();
    await Promise.all((nodes ?? []).map((node) => node.stop()));
  });

  it('ends with each of the 6 within 10% of its share, moving only what is needed, paced, with no failed reconnect', async () => {
    fleet = new StickyFleet(
      nodes.map((node) => `${node.wsUrl}/`),
      90,
    );
    await fleet.start();
    expect(fleet.openCount()).toBe(90);
    const before = fleet.current();
    expect(new Set(before)).toEqual(new Set(['old-1', 'old-2', 'old-3']));

    const added = await Promise.all(['new-1', 'new-2', 'new-3'].map((name) => startTestBackend({ name })));
    backends.push(...added);
    const adds = await Promise.all(added.map((backend) => cli(['backend', 'add', backend.name, backend.url])));
    expect(adds.map((add) => add.code)).toEqual([0, 0, 0]);

    const rate = 20;
    const rebalance = cli(['rebalance', '--tolerance', '10%', '--rate', `${rate}/s`, '--min-age', '1s']);
    // Progress is visible while it runs.
    let finished = false;
    const done = (): void => void (finished = true);
    void rebalance.then(done, done);
    await expect
      .poll(async () => {
        const status = JSON.parse((await cli(['status', '--json'])).stdout);
        return finished || (status.rebalance?.state === 'running' && status.rebalance.closed > 0);
      }, settle)
      .toBe(true);
    const result = await within(rebalance, 25_000, 'mooring rebalance');
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const moved = Number(/; (\d+) session\(s\) moved/.exec(result.stdout)?.[1]);
    expect(result.stdout).toContain('balanced: every backend within 10% of its share');

    await expect.poll(() => fleet.openCount(), settle).toBe(90);
    expect(fleet.handshakeFailures).toEqual([]);
    // Each of the 6 within 10 % of its share (15): 13.5 to 16.5.
    const now = fleet.current();
    for (const name of ['old-1', 'old-2', 'old-3', 'new-1', 'new-2', 'new-3']) {
      const live = now.filter((backend) => backend === name).length;
      expect({ name, live, within: Math.abs(live - 15) <= 1.5 }).toEqual({ name, live, within: true });
    }
    // Only the moved sessions were closed, gently, each once: as many clients as the command
    // closed, 42 (14 off each old backend, the fewest that balance 30/30/30 + 0/0/0) or a few more
    // when a second round corrects where reconnections landed (never by closing a moved client
    // again); the others never saw a close and stayed put.
    const closed = fleet.clients.filter((client) => client.closes.length > 0);
    expect(closed.map((client) => client.closes.length)).toEqual(closed.map(() => 1));
    expect(closed.length).toBe(moved);
    expect(moved).toBeGreaterThanOrEqual(42);
    expect(moved).toBeLessThanOrEqual(45);
    expect(closed.flatMap((client) => client.closes.map((close) => close.code)).every((code) => code === 1012)).toBe(
      true,
    );
    for (const client of fleet.clients.filter((c) => c.closes.length === 0)) {
      expect(client.backends).toEqual([before[client.index]]);
    }
    // Each moved client came back with its old cookie and was re-pinned to a new backend.
    for (const client of closed) {
      expect(client.presentedCookie.slice(0, 2)).toEqual([false, true]);
      expect(client.backends[0]).toMatch(/^old-/);
      expect(client.backends[1]).toMatch(/^new-/);
    }
    // Paced: 20/s for the whole cluster (both nodes), so about 2 s for 42 closes, never at once.
    expect(meanRate(closed.flatMap((client) => client.closes.map((close) => close.at)))).toBeLessThanOrEqual(
      1.5 * rate,
    );

    const status = JSON.parse((await cli(['status', '--json'])).stdout);
    expect(status.rebalance).toMatchObject({ state: 'balanced', closed: moved, remaining: 0 });
  });
});

describe('mooring rebalance arguments', () => {
  it.each([
    [['--tolerance', 'abc'], /--tolerance: expected a percentage/],
    [['--tolerance', '150%'], /--tolerance: expected a percentage.*got "150%"/],
    [['--rate', '-5'], /--rate: expected closes per second/],
    [['--min-age', 'soon'], /--min-age: expected a duration/],
    [['--for', '-1s'], /--for: expected a duration/],
  ])('%j exits 2 with one line naming it, before Redis is contacted', async (args, message) => {
    const result = await runMooring(['rebalance', ...args, '--redis', 'redis://127.0.0.1:1']);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(message);
  });
});
