import { describe, expect, it } from 'vitest';
import { CliError } from '../src/cli-error.js';
import { runBackendDrain } from '../src/commands/backend-drain.js';
import { drainTerms } from '../src/commands/drain-flags.js';
import { Harness } from './support/harness.js';

const defaults = { deadline: '5m', closeRate: '100', closeCode: '1012' };
const iso = (ms: number): string => new Date(ms).toISOString();

function refusal(flags: Partial<typeof defaults>): CliError {
  try {
    drainTerms({ ...defaults, ...flags });
  } catch (err) {
    if (err instanceof CliError) return err;
    throw err;
  }
  throw new Error('expected drainTerms to refuse');
}

describe('drain terms', () => {
  it('converts the defaults and accepted values', () => {
    expect(drainTerms(defaults)).toEqual({ deadlineMs: 300_000, closeRate: 100, closeCode: 1012 });
    expect(drainTerms({ deadline: '500ms', closeRate: '2.5', closeCode: '4000' })).toEqual({
      deadlineMs: 500,
      closeRate: 2.5,
      closeCode: 4000,
    });
  });

  it.each(['2000', '1016', '1012.5', '1005', '1006', '999', '5000', 'abc', ''])(
    'refuses --close-code %j (exit 2)',
    (code) => {
      const error = refusal({ closeCode: code });
      expect(error.exitCode).toBe(2);
      expect(error.message).toContain('--close-code: expected a WebSocket close code that may be sent');
      expect(error.message).toContain(`got ${JSON.stringify(code)}`);
    },
  );

  it.each([
    [{ deadline: 'soon' }, '--deadline: expected a duration such as 30s, 5m or 1h, got "soon"'],
    [{ closeRate: '0' }, '--close-rate: expected a positive number, got "0"'],
    [{ closeRate: '-5' }, '--close-rate: expected a positive number, got "-5"'],
    [{ closeRate: 'fast' }, '--close-rate: expected a positive number, got "fast"'],
  ])('refuses %j with exit 2', (flags, message) => {
    const error = refusal(flags);
    expect({ code: error.exitCode, message: error.message }).toEqual({ code: 2, message });
  });
});

describe('backend drain', () => {
  const terms = { deadlineMs: 60_000, closeRate: 100, closeCode: 1012 };

  it('records the terms and the draining state, and says when the closes start', async () => {
    const h = new Harness();
    await h.backends('b1', 'b2');
    const start = h.clock.now();
    expect(await runBackendDrain({ id: 'b1', terms, wait: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe(`draining b1: no new sessions; remaining ones closed from ${iso(start + 60_000)} at 100/s\n`);
    expect((await h.store.readRegistry()).backends.map((backend) => backend.state)).toEqual(['draining', 'active']);
    expect(await h.store.readDrains()).toEqual(
      new Map([['b1', { startedAt: start, deadlineAt: start + 60_000, closeRate: 100, closeCode: 1012 }]]),
    );
  });

  it('refuses an unknown backend with exit 1', async () => {
    const h = new Harness();
    expect(await runBackendDrain({ id: 'nope', terms, wait: false }, h.deps)).toBe(1);
    expect(h.stderr).toBe('mooring: unknown backend "nope"\n');
    expect(h.stdout).toBe('');
  });

  it('--wait prints the count as it falls and exits 0 when the last session leaves on its own', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    await h.node('node-b');
    const start = h.clock.now();
    const onA = await h.open('node-a', 'b1', 2);
    const onB = await h.open('node-b', 'b1', 1);
    h.clock.at(start + 1_000, () => h.close('node-a', onA.slice(0, 1)));
    h.clock.at(start + 2_500, () => h.close('node-a', onA.slice(1)));
    h.clock.at(start + 2_500, () => h.close('node-b', onB));
    expect(await runBackendDrain({ id: 'b1', terms, wait: true }, h.deps)).toBe(0);
    expect(h.outLines).toEqual([
      `draining b1: no new sessions; remaining ones closed from ${iso(start + 60_000)} at 100/s`,
      'b1: 3 live connection(s), deadline in 60s',
      'b1: 2 live connection(s), deadline in 59s',
      'b1: 0 live connection(s), deadline in 58s',
      'b1 drained: no live connections',
    ]);
    expect(h.stderr).toBe('');
    // Polled every 200 ms: it returned at the first look after the last session left.
    expect(h.clock.now()).toBe(start + 2_600);
  });

  it('--wait exits 3 and counts what the nodes closed at the deadline', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const start = h.clock.now();
    const ids = await h.open('node-a', 'b1', 3);
    // The nodes close what is left once the deadline has passed, as paced closes would.
    h.clock.at(start + 1_100, () => h.close('node-a', ids));
    const code = await runBackendDrain({ id: 'b1', terms: { ...terms, deadlineMs: 1_000 }, wait: true }, h.deps);
    expect(code).toBe(3);
    expect(h.outLines.slice(1)).toEqual([
      'b1: 3 live connection(s), deadline in 1s',
      'b1: 0 live connection(s), closing at the deadline',
    ]);
    expect(h.stderr).toBe('mooring: b1 drained at the deadline: 3 connection(s) closed by force\n');
  });

  it('--wait looks once more just before the deadline, so what leaves then is not counted as forced', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const start = h.clock.now();
    const ids = await h.open('node-a', 'b1', 2);
    h.clock.at(start + 900, () => h.close('node-a', ids.slice(0, 1)));
    h.clock.at(start + 1_100, () => h.close('node-a', ids.slice(1)));
    expect(await runBackendDrain({ id: 'b1', terms: { ...terms, deadlineMs: 1_000 }, wait: true }, h.deps)).toBe(3);
    expect(h.stderr).toBe('mooring: b1 drained at the deadline: 1 connection(s) closed by force\n');
  });

  it('--wait gives up with exit 1 when sessions outlive the deadline by far more than the rate allows', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const start = h.clock.now();
    await h.open('node-a', 'b1', 10);
    const code = await runBackendDrain(
      { id: 'b1', terms: { ...terms, deadlineMs: 1_000, closeRate: 10 }, wait: true },
      h.deps,
    );
    expect(code).toBe(1);
    expect(h.stderr).toBe(
      'mooring: b1: 10 connection(s) still open well after the deadline; are the nodes holding them up?\n',
    );
    // Deadline, then 10 closes at 10/s, then 15 s of slack; the next 200 ms poll gives up.
    expect(h.clock.now()).toBeGreaterThan(start + 1_000 + 1_000 + 15_000);
    expect(h.clock.now()).toBeLessThanOrEqual(start + 1_000 + 1_000 + 15_000 + 200);
  });

  it('through commander: a bad --close-code exits 2 in one line before any store is opened', async () => {
    const h = new Harness();
    const result = await h.cli(['backend', 'drain', 'x', '--close-code', '2000', '--redis', 'redis://test']);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err.split('\n')).toHaveLength(2);
    expect(result.err).toContain('--close-code: expected a WebSocket close code that may be sent');
    expect(h.opened).toEqual([]);
  });

  it('through commander: the defaults are 5m, 100/s and 1012', async () => {
    const h = new Harness();
    await h.backends('b1');
    const start = h.clock.now();
    expect((await h.cli(['backend', 'drain', 'b1', '--redis', 'redis://test'])).code).toBe(0);
    expect((await h.store.readDrains()).get('b1')).toEqual({
      startedAt: start,
      deadlineAt: start + 300_000,
      closeRate: 100,
      closeCode: 1012,
    });
  });
});
