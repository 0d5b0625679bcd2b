import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.js';
import { rolloutArgs, runRollout, type RolloutArgs } from '../src/commands/rollout.js';
import { Harness } from './support/harness.js';

const flags = { deadline: '5m', closeRate: '100', closeCode: '1012', healthyTimeout: '60s' };
const terms = { deadlineMs: 60_000, closeRate: 100, closeCode: 1012 };
const newOne = { id: 'new-1', url: 'http://127.0.0.1:4001', weight: 1, state: 'active' as const };
const iso = (ms: number): string => new Date(ms).toISOString();

function refusal(given: Partial<Parameters<typeof rolloutArgs>[0]>): CliError {
  try {
    rolloutArgs({ ...flags, ...given });
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected rolloutArgs to refuse');
}

const args = (given: Partial<RolloutArgs>): RolloutArgs => ({
  additions: [newOne],
  retired: [],
  terms,
  healthyTimeoutMs: 60_000,
  ...given,
});

describe('rollout arguments', () => {
  it('parses --add and --retire lists, ignoring blanks around and between entries', () => {
    expect(
      rolloutArgs({ ...flags, add: ' a=http://10.0.0.1:8080 ,, b=http://10.0.0.2:8080', retire: ' x , ,y ' }),
    ).toEqual({
      additions: [
        { id: 'a', url: 'http://10.0.0.1:8080', weight: 1, state: 'active' },
        { id: 'b', url: 'http://10.0.0.2:8080', weight: 1, state: 'active' },
      ],
      retired: ['x', 'y'],
      terms: { deadlineMs: 300_000, closeRate: 100, closeCode: 1012 },
      healthyTimeoutMs: 60_000,
    });
  });

  it.each([
    [{}, 'nothing to do: give --add ID=URL,… and/or --retire ID,…'],
    [{ add: ' , ', retire: ',' }, 'nothing to do: give --add ID=URL,… and/or --retire ID,…'],
    [{ add: 'new-1' }, '--add: expected ID=URL, got "new-1"'],
    [{ add: '=http://10.0.0.1:8080' }, '--add: expected ID=URL, got "=http://10.0.0.1:8080"'],
    [{ add: 'a=ftp://10.0.0.1:8080' }, /^--add: backend "a": url: expected an http:\/\/ (or https:\/\/ )?origin/],
    [{ retire: 'x', closeCode: '2000' }, /^--close-code: expected a WebSocket close code that may be sent/],
    [{ retire: 'x', deadline: 'later' }, '--deadline: expected a duration such as 30s, 5m or 1h, got "later"'],
    [{ retire: 'x', closeRate: '0' }, '--close-rate: expected a positive number, got "0"'],
    [{ add: 'a=http://10.0.0.1:8080', healthyTimeout: 'ever' }, /^--healthy-timeout: expected a duration/],
  ])('refuses %j with exit 2', (given, message) => {
    const error = refusal(given);
    expect(error.exitCode).toBe(2);
    if (message instanceof RegExp) expect(error.message).toMatch(message);
    else expect(error.message).toBe(message);
  });

  it('through commander: exit 2 in one line, before any store is opened', async () => {
    const h = new Harness();
    for (const argv of [['rollout'], ['rollout', '--retire', 'x', '--close-code', '2000'], ['rollout', '--add', 'x']]) {
      const result = await h.cli([...argv, '--redis', 'redis://test']);
      expect({ argv, code: result.code, out: result.out, lines: result.err.split('\n').length }).toEqual({
        argv,
        code: 2,
        out: '',
        lines: 2,
      });
    }
    expect(h.opened).toEqual([]);
  });
});

describe('rollout', () => {
  it('registers, waits until every node routes to it, drains the old ones together, removes them', async () => {
    const h = new Harness();
    await h.backends('old-1', 'old-2');
    await h.node('node-a', { routable: ['old-1', 'old-2'] });
    await h.node('node-b', { routable: ['old-1', 'old-2'] });
    const start = h.clock.now();
    const onOld1 = await h.open('node-a', 'old-1', 2);
    const onOld2 = await h.open('node-b', 'old-2', 1);
    h.clock.at(start + 400, () => h.node('node-a', { routable: ['new-1', 'old-1', 'old-2'] }));
    h.clock.at(start + 600, () => h.node('node-b', { routable: ['new-1', 'old-1', 'old-2'] }));
    let drains: unknown;
    h.clock.at(start + 800, async () => void (drains = await h.store.readDrains()));
    h.clock.at(start + 1_000, () => h.close('node-a', onOld1));
    h.clock.at(start + 1_400, () => h.close('node-b', onOld2));

    expect(await runRollout(args({ retired: ['old-1', 'old-2', 'gone'] }), h.deps)).toBe(0);
    expect(h.stderr).toBe('');
    const deadline = iso(start + 600 + 60_000);
    expect(h.outLines.filter((line) => !/^old-\d: \d live/.test(line))).toEqual([
      'new-1: registered http://127.0.0.1:4001',
      'waiting for node-a, node-b to see new-1 healthy',
      'waiting for node-b to see new-1 healthy',
      'every node (2) routes to new-1',
      'gone: already removed',
      `old-1: draining, deadline ${deadline}`,
      `old-2: draining, deadline ${deadline}`,
      'old-1: removed',
      'old-2: removed',
      'rollout complete',
    ]);
    expect(h.outLines.filter((line) => line.startsWith('old-1: ') && line.includes('live'))).toEqual([
      'old-1: 2 live connection(s), deadline in 60s',
      'old-1: 0 live connection(s), deadline in 60s',
    ]);
    // --close-rate is the rollout's total: two backends drained together get half each.
    expect(drains).toEqual(
      new Map([
        ['old-1', { startedAt: start + 600, deadlineAt: start + 60_600, closeRate: 50, closeCode: 1012 }],
        ['old-2', { startedAt: start + 600, deadlineAt: start + 60_600, closeRate: 50, closeCode: 1012 }],
      ]),
    );
    expect((await h.store.readRegistry()).backends.map((backend) => backend.id)).toEqual(['new-1']);
  });

  it('drains nothing when the new backends are not routable on every node in time (exit 1)', async () => {
    const h = new Harness();
    await h.backends('old-1');
    await h.node('node-a', { routable: ['old-1'] });
    const start = h.clock.now();
    expect(await runRollout(args({ retired: ['old-1'], healthyTimeoutMs: 2_000 }), h.deps)).toBe(1);
    expect(h.outLines).toEqual(['new-1: registered http://127.0.0.1:4001', 'waiting for node-a to see new-1 healthy']);
    expect(h.stderr).toBe(
      'mooring: new backends not healthy on every node after 2s (waiting for node-a); nothing was drained\n',
    );
    expect(h.clock.now()).toBeGreaterThan(start + 2_000);
    expect((await h.store.readRegistry()).backends.map((backend) => backend.state)).toEqual(['active', 'active']);
    expect(await h.store.readDrains()).toEqual(new Map());
  });

  it('does not wait when no node is running', async () => {
    const h = new Harness();
    expect(await runRollout(args({}), h.deps)).toBe(0);
    expect(h.outLines).toEqual([
      'new-1: registered http://127.0.0.1:4001',
      'no node is running: nothing to wait for',
      'rollout complete',
    ]);
  });

  it('resumes an interrupted rollout: what is done is said so, a started drain keeps its deadline', async () => {
    const h = new Harness();
    const start = h.clock.now();
    await h.store.putBackend({ ...newOne, weight: 3 });
    await h.backends('old-1');
    // The first run died while waiting: its drain started two minutes ago on a 2m5s deadline.
    const previous = { startedAt: start - 120_000, deadlineAt: start + 5_000, closeRate: 20, closeCode: 1001 };
    await h.store.drainBackend('old-1', previous);
    await h.node('node-a', { routable: ['new-1'] });
    const ids = await h.open('node-a', 'old-1', 1);
    h.clock.at(start + 5_100, () => h.close('node-a', ids));

    const again = args({ retired: ['old-1', 'old-2'], terms: { ...terms, deadlineMs: 600_000 } });
    expect(await runRollout(again, h.deps)).toBe(0);
    expect(h.outLines).toEqual([
      'new-1: already registered',
      'every node (1) routes to new-1',
      'old-2: already removed',
      `old-1: draining, deadline ${iso(start + 5_000)}`,
      'old-1: 1 live connection(s), deadline in 5s',
      'old-1: 0 live connection(s), closing at the deadline',
      'old-1: 1 connection(s) closed at the deadline',
      'old-1: removed',
      'rollout complete',
    ]);
    // The weight an operator gave the new backend since is kept.
    expect((await h.store.readRegistry()).backends).toEqual([{ ...newOne, weight: 3 }]);
  });

  it('re-asserts the draining state of a drain whose terms were written without it', async () => {
    const h = new Harness();
    const start = h.clock.now();
    await h.backends('old-1');
    await h.store.drainBackend('old-1', {
      startedAt: start,
      deadlineAt: start + 10_000,
      closeRate: 20,
      closeCode: 1012,
    });
    // What an older version, writing the terms and the state separately, could leave behind.
    await h.store.putBackend({ id: 'old-1', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
    await h.node('node-a');
    const ids = await h.open('node-a', 'old-1', 1);
    let state: string | undefined;
    h.clock.at(start + 200, async () => {
      state = (await h.store.readRegistry()).backends[0]?.state;
      await h.close('node-a', ids);
    });
    expect(await runRollout(args({ additions: [], retired: ['old-1'] }), h.deps)).toBe(0);
    expect(state).toBe('draining');
    expect(h.outLines[0]).toBe(`old-1: draining, deadline ${iso(start + 10_000)}`);
  });

  it('registers a new backend again when its URL changed or it is not active', async () => {
    const h = new Harness();
    await h.store.putBackend({ ...newOne, url: 'http://127.0.0.1:4999' });
    expect(await runRollout(args({}), h.deps)).toBe(0);
    expect(h.outLines[0]).toBe('new-1: registered http://127.0.0.1:4001');
    expect((await h.store.readRegistry()).backends).toEqual([newOne]);
  });
});
