import type { StateEvent } from '@mooring/balancer';
import { describe, expect, it } from 'vitest';
import { runRebalance } from '../src/commands/rebalance.js';
import { runStatus } from '../src/commands/status.js';
import { Harness } from './support/harness.js';

const terms = { tolerance: 0.1, rate: 20, minAgeMs: 1_000, forMs: undefined };

/**
 * Nodes and clients, simulated on the shared store: a node closes the sessions a rebalance event
 * lists for it, and each client reconnects at once to the backend with the fewest sessions per
 * unit of weight (least-connections), through the same node.
 */
async function reconnectingClients(h: Harness, weights: Record<string, number> = {}) {
  const moved: string[] = [];
  const ticks: { at: number; closes: number }[] = [];
  let serial = 0;
  await h.store.subscribe((event: StateEvent) => {
    if (event.type !== 'rebalance' || event.closes.length === 0) return;
    ticks.push({ at: h.clock.now(), closes: event.closes.reduce((sum, { ids }) => sum + ids.length, 0) });
    void (async () => {
      for (const { node, ids } of event.closes) {
        moved.push(...ids);
        await h.close(node, ids);
        for (const _ of ids) {
          const { total } = await h.store.liveCounts();
          const active = (await h.store.readRegistry()).backends.filter((backend) => backend.state === 'active');
          const load = (id: string) => (total.get(id) ?? 0) / (weights[id] ?? 1);
          const least = active.map(({ id }) => id).sort((a, b) => load(a) - load(b) || (a < b ? -1 : 1))[0]!;
          await h.store.recordConnections(node, [session(node, least, `re-${serial++}`, h.clock.now())], []);
        }
      }
    })();
  });
  return { moved, ticks };
}

/**
 * Clients that all reconnect to `backend` (hash stickiness, or placement that lags), each as a new
 * session started at `startedAt()`; resolves with the ids the rebalance closed, as they come.
 */
async function reconnectingTo(h: Harness, backend: string, startedAt: () => number): Promise<string[]> {
  let serial = 0;
  const moved: string[] = [];
  await h.store.subscribe((event) => {
    if (event.type !== 'rebalance') return;
    for (const { node, ids } of event.closes) {
      moved.push(...ids);
      const back = ids.map(() => session(node, backend, `back-${serial++}`, startedAt()));
      void h.close(node, ids).then(() => h.store.recordConnections(node, back, []));
    }
  });
  return moved;
}

function session(node: string, backend: string, id: string, startedAt: number) {
  return { id, node, worker: 1, backend, client: '10.0.0.1', route: 'cookie' as const, startedAt };
}

async function liveByBackend(h: Harness): Promise<Record<string, number>> {
  return Object.fromEntries((await h.store.liveCounts()).total);
}

describe('rebalance', () => {
  it('after a scale-out from 3 to 6 backends, moves only the 42 needed, oldest first, paced, then says balanced', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2', 'b3');
    await h.node('n1');
    await h.node('n2');
    const oldest: string[] = [];
    for (const backend of ['b1', 'b2', 'b3']) {
      oldest.push(...(await h.open('n1', backend, 15, h.clock.now() - 60_000)));
      await h.open('n2', backend, 15, h.clock.now() - 30_000);
    }
    await h.backends({ id: 'b1' }, { id: 'b2' }, { id: 'b3' }, { id: 'b4' }, { id: 'b5' }, { id: 'b6' });
    const { moved, ticks } = await reconnectingClients(h);
    const start = h.clock.now();

    expect(await runRebalance(terms, h.deps)).toBe(0);

    expect(moved).toHaveLength(42);
    expect(new Set(moved).size).toBe(42);
    // Oldest first: node n1's sessions (a minute old) on each backend before n2's.
    expect(moved.filter((id) => oldest.includes(id))).toHaveLength(42);
    const live = await liveByBackend(h);
    for (const id of ['b1', 'b2', 'b3', 'b4', 'b5', 'b6']) expect(Math.abs(live[id]! - 15)).toBeLessThanOrEqual(1.5);
    // 20/s in ticks of 100 ms: 2 per tick, so 42 closes take about 2 s.
    expect(Math.max(...ticks.map((tick) => tick.closes))).toBe(2);
    expect(ticks.at(-1)!.at - ticks[0]!.at).toBeGreaterThanOrEqual(2_000);
    expect(h.outLines.at(-1)).toBe('balanced: every backend within 10% of its share; 42 session(s) moved');
    const record = await h.store.readRebalance();
    expect(record).toMatchObject({ state: 'balanced', startedAt: start, closed: 42, remaining: 0 });
  });

  it('never closes a session younger than --min-age: it waits for them to age', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    await h.node('n1');
    const old = await h.open('n1', 'b1', 2, h.clock.now() - 60_000);
    const young = await h.open('n1', 'b1', 6, h.clock.now());
    const { moved } = await reconnectingClients(h);
    const start = h.clock.now();
    expect(await runRebalance({ ...terms, minAgeMs: 10_000 }, h.deps)).toBe(0);
    expect(moved.slice(0, 2).sort()).toEqual([...old].sort());
    expect(moved).toHaveLength(4);
    // The two young ones it took waited until they were 10 s old.
    expect(h.clock.now() - start).toBeGreaterThanOrEqual(10_000);
    expect(moved.slice(2).every((id) => young.includes(id))).toBe(true);
    expect(await liveByBackend(h)).toEqual({ b1: 4, b2: 4 });
  });

  it('--for stops it unbalanced, says how many are left, and tells the nodes to stop holding', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    await h.node('n1');
    await h.open('n1', 'b1', 10, h.clock.now());
    const events: StateEvent[] = [];
    await h.store.subscribe((event) => events.push(event));
    const start = h.clock.now();
    expect(await runRebalance({ ...terms, minAgeMs: 60_000, forMs: 5_000 }, h.deps)).toBe(0);
    expect(h.clock.now() - start).toBe(5_000);
    expect(h.outLines.at(-1)).toBe('stopped: not balanced, 5 session(s) still to move; 0 moved');
    await expect.poll(() => events.at(-1)).toEqual({ type: 'rebalance', holdMs: 0, code: 1012, closes: [] });
    expect(events.filter((event) => event.type === 'rebalance' && event.holdMs > 0).length).toBeGreaterThanOrEqual(5);
    expect(await h.store.readRebalance()).toMatchObject({ state: 'stopped', closed: 0, remaining: 5 });
  });

  it('waits until every node routes to the new backends before closing anything', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    await h.node('n1', { routable: ['b1', 'b2'] });
    await h.node('n2', { routable: ['b1'] });
    await h.open('n1', 'b1', 4, 0);
    const { ticks } = await reconnectingClients(h);
    const start = h.clock.now();
    h.clock.at(start + 1_000, () => h.node('n2', { routable: ['b1', 'b2'] }));
    expect(await runRebalance(terms, h.deps)).toBe(0);
    expect(ticks[0]!.at).toBeGreaterThanOrEqual(start + 1_000);
    expect(h.stdout).toContain('waiting for every node to route to b2\n');
    expect(await liveByBackend(h)).toEqual({ b1: 2, b2: 2 });
  });

  it('Ctrl-C stops it: stopped, and the nodes told to stop holding', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    await h.node('n1');
    await h.open('n1', 'b1', 10, h.clock.now());
    let interrupt: (() => void) | undefined;
    const removed: boolean[] = [];
    const deps = {
      ...h.deps,
      onInterrupt: (handler: () => void) => {
        interrupt = handler;
        return () => void removed.push(true);
      },
    };
    h.clock.at(h.clock.now() + 3_000, () => interrupt?.());
    expect(await runRebalance({ ...terms, minAgeMs: 60_000 }, deps)).toBe(0);
    expect(h.outLines.at(-1)).toBe('stopped: not balanced, 5 session(s) still to move; 0 moved');
    expect(removed).toEqual([true]);
    expect(await h.store.readRebalance()).toMatchObject({ state: 'stopped' });
  });

  it('stops after two rounds that bring it no closer: clients that come back where they were (hash mode)', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    await h.node('n1');
    await h.open('n1', 'b1', 10, 0);
    const moved = await reconnectingTo(h, 'b1', () => 0);
    expect(await runRebalance(terms, h.deps)).toBe(0);
    // 5 to move, and still 5 after each round: it stops after the second such round.
    expect(moved).toHaveLength(10);
    expect(h.outLines.at(-1)).toBe(
      'stopped: not balanced, 5 session(s) still to move; 10 moved (the moved sessions keep coming back: 2 rounds brought it no closer)',
    );
  });

  it('stops, saying why, when only clients it already moved are left to move: it never closes one twice', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2', 'b3');
    await h.node('n1');
    await h.open('n1', 'b1', 10, h.clock.now() - 60_000);
    // Every moved client lands on b2 (as with placement counts that lag): b2 ends above its share
    // with nothing on it but this rebalance's reconnections.
    // A reconnection takes a few ms: it opens after the close, which the fake clock has not moved past.
    const moved = await reconnectingTo(h, 'b2', () => h.clock.now() + 5);
    const start = h.clock.now();
    expect(await runRebalance({ ...terms, forMs: 600_000 }, h.deps)).toBe(0);
    // 6 off b1, then 1 more when b3 still lacked; then b2's 3 too many are all reconnections.
    expect(moved).toHaveLength(7);
    expect(new Set(moved).size).toBe(7);
    expect(h.outLines.at(-1)).toBe(
      'stopped: not balanced, 3 session(s) still to move; 7 moved (what is left to move are clients it already ' +
        'moved once, or that came since its first close: it closes a client at most once; run it again to move them)',
    );
    // Not at --for: a few seconds after the last round, once the counts could have caught up.
    expect(h.clock.now() - start).toBeLessThan(30_000);
    expect(await h.store.readRebalance()).toMatchObject({ state: 'stopped', closed: 7, remaining: 3 });
  });

  it("never closes a moved client twice, whatever the node's clock says of its new session", async () => {
    const h = new Harness();
    await h.backends('b1', 'b2', 'b3');
    await h.node('n1');
    await h.open('n1', 'b1', 10, h.clock.now() - 60_000);
    // As in the test above, but n1's clock is 10 minutes behind the command's: each reconnection's
    // start looks older than --min-age and older than the rebalance, like a session it may move.
    const moved = await reconnectingTo(h, 'b2', () => h.clock.now() - 600_000);
    expect(await runRebalance({ ...terms, forMs: 600_000 }, h.deps)).toBe(0);
    expect(moved.filter((id) => id.startsWith('back-'))).toEqual([]);
    expect(moved).toHaveLength(7);
    expect(await h.store.readRebalance()).toMatchObject({ state: 'stopped', closed: 7, remaining: 3 });
  });

  it('warns when a node routes by consistent hash alone', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    const info = { startedAt: 0, pid: 1, listen: 'x:1', admin: 'x:2' };
    await h.store.heartbeat({ id: 'n1', ...info, placement: 'hash' }, 3_600_000);
    await h.store.heartbeat({ id: 'n2', ...info, placement: 'load' }, 3_600_000);
    await h.open('n1', 'b1', 4, 0);
    await reconnectingClients(h);
    expect(await runRebalance(terms, h.deps)).toBe(0);
    expect(h.outLines[1]).toBe(
      'warning: node(s) n1 route by consistent hash (--sticky hash without --hash-balance-factor): ' +
        'the sessions moved come back to where they were',
    );
  });

  it('ends at once when already balanced, and leaves draining backends out of the shares', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2', 'b3');
    await h.store.drainBackend('b3', { startedAt: 0, deadlineAt: 1e15, closeRate: 1, closeCode: 1012 });
    await h.node('n1');
    await h.open('n1', 'b1', 5, 0);
    await h.open('n1', 'b2', 5, 0);
    await h.open('n1', 'b3', 30, 0);
    expect(await runRebalance(terms, h.deps)).toBe(0);
    expect(h.outLines.at(-1)).toBe('balanced: every backend within 10% of its share; 0 session(s) moved');
  });

  it('shows its progress in status, and in status --json', async () => {
    const h = new Harness();
    await h.store.writeRebalance(
      {
        state: 'running',
        startedAt: h.clock.now() - 12_000,
        updatedAt: h.clock.now(),
        tolerance: 0.1,
        rate: 20,
        minAgeMs: 30_000,
        closed: 30,
        remaining: 12,
        backends: [],
      },
      10_000,
    );
    expect(await runStatus({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toContain(
      '\nrebalance: running for 12s, 30 closed, 12 still to move (tolerance 10%, 20/s, min age 30s)\n',
    );
    h.stdout = '';
    expect(await runStatus({ json: true }, h.deps)).toBe(0);
    expect(JSON.parse(h.stdout).rebalance).toMatchObject({ state: 'running', closed: 30, remaining: 12 });
  });

  it.each([
    [['--tolerance', 'abc'], '--tolerance'],
    [['--tolerance', '150%'], '--tolerance'],
    [['--rate', '-5'], '--rate'],
    [['--rate', 'abc'], '--rate'],
    [['--min-age', 'soon'], '--min-age'],
    [['--for', '0s'], '--for'],
    [['--for', 'later'], '--for'],
    [['--for', '10s', '--until-balanced'], '--until-balanced and --for'],
    [['--speed', '3'], "unknown option '--speed'"],
  ])('refuses %j with exit 2 and one line naming it, before Redis is contacted', async (args, named) => {
    const h = new Harness();
    const result = await h.cli(['rebalance', ...args, '--redis', 'redis://127.0.0.1:6379']);
    expect(result.code).toBe(2);
    expect(result.err.trim().split('\n')).toHaveLength(1);
    expect(result.err).toContain(named);
    expect(h.opened).toEqual([]);
  });
});
