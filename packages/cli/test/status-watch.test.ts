import { StateError, type StateStore } from '@mooring/balancer';
import { describe, expect, it } from 'vitest';
import type { CommandDeps } from '../src/command-deps.js';
import { runStatus } from '../src/commands/status.js';
import { runStatusWatch, watchOptions, type WatchOptions } from '../src/commands/status-watch.js';
import { hideCursor, showCursor } from '../src/output/terminal.js';
import { Harness, storeWith } from './support/harness.js';
import { FakeInterrupts, screens, visibleLines, watchCli, watchDeps } from './support/watch-terminal.js';

const every2s: WatchOptions = { intervalMs: 2_000, json: false };
const refused = 'Redis listNodes failed: connect ECONNREFUSED 127.0.0.1:6390';
const iso = (ms: number): string => new Date(ms).toISOString();

/** The watch as `status --watch` runs it, with Ctrl-C pressed when the fake clock reaches `stopAt`. */
function watch(h: Harness, options: WatchOptions, { tty = true, stopAt = Infinity, deps = {} } = {}) {
  const interrupts = new FakeInterrupts();
  if (stopAt !== Infinity) h.clock.at(stopAt, () => interrupts.fire());
  const all: CommandDeps = { ...watchDeps(h, interrupts, tty), ...deps };
  const done = runStatusWatch(options, all, (io) => runStatus({ json: options.json }, io));
  return { interrupts, done };
}

/** What a one-shot `status` prints now. */
async function statusNow(h: Harness, json = false): Promise<string> {
  let text = '';
  await runStatus({ json }, { ...h.deps, out: (chunk) => void (text += chunk) });
  return text;
}

/** A store that answers like the harness's, except that `listNodes` fails while `down()` says so. */
function flakyStore(h: Harness, down: () => boolean): StateStore {
  return storeWith(h.store, {
    listNodes: () =>
      down() ? Promise.reject(new StateError('MOORING_ERR_STATE_UNAVAILABLE', refused)) : h.store.listNodes(),
  });
}

describe('status --watch on a terminal', () => {
  it('redraws once per interval until Ctrl-C, hiding the cursor meanwhile and restoring it', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const t0 = h.clock.now();
    const { interrupts, done } = watch(h, every2s, { stopAt: t0 + 10_000 });
    expect(await done).toBe(0);
    // Readings at 0, 2, 4, 6 and 8 s; Ctrl-C at 10 s comes before the sixth.
    expect(screens(h.stdout)).toHaveLength(5);
    expect(h.clock.now()).toBe(t0 + 10_000);
    expect(h.stdout.startsWith(hideCursor)).toBe(true);
    expect(h.stdout.endsWith(showCursor)).toBe(true);
    expect(interrupts.listening).toBe(0);
    expect(h.stderr).toBe('');
  });

  it('puts the cluster state, the refresh time and how to stop in the header, then the view', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    await h.open('node-a', 'b1', 2);
    const [summary, ...body] = (await statusNow(h)).replace(/\n$/, '').split('\n');
    const { done } = watch(h, every2s, { stopAt: h.clock.now() + 1 });
    expect(await done).toBe(0);
    const [screen] = screens(h.stdout);
    expect(summary).toBe('cluster: ok, 1 node(s), 1 backend(s)');
    expect(visibleLines(screen!)).toEqual([
      'cluster: ok, 1 node(s), 1 backend(s) · refreshed 12:00:00 UTC · every 2s · Ctrl-C to stop',
      ...body,
    ]);
    // Each line erases what a longer previous one left; the screen below the view is erased.
    expect(screen).toContain('Ctrl-C to stop\x1b[K\n');
    expect(screen).toContain('\x1b[K\n\x1b[J');
  });

  it('shows what changed since the last refresh: heartbeat age, live counts, a drain and its deadline', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const t0 = h.clock.now();
    const ids = await h.open('node-a', 'b1', 3);
    h.clock.at(t0 + 3_000, async () => {
      await h.close('node-a', ids.slice(0, 2));
      await h.store.drainBackend('b1', { startedAt: t0, deadlineAt: t0 + 300_000, closeRate: 100, closeCode: 1012 });
    });
    const { done } = watch(h, every2s, { stopAt: t0 + 6_000 });
    expect(await done).toBe(0);
    const [before, after] = [screens(h.stdout)[1]!, screens(h.stdout)[2]!].map(visibleLines);
    expect(before!.find((line) => line.startsWith('node-a '))).toContain('2s ago');
    expect(before!.find((line) => line.startsWith('b1 '))).toMatch(/active .* 3 +node-a=3$/);
    expect(after!.find((line) => line.startsWith('node-a '))).toContain('4s ago');
    expect(after!.find((line) => line.startsWith('b1 '))).toMatch(
      /draining \(deadline 2026-01-01T12:05:00\.000Z\) .* 1 +node-a=1$/,
    );
  });

  it('keeps watching through an outage: the header says since when, the last view stays below', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const t0 = h.clock.now();
    let down = false;
    h.clock.at(t0 + 4_000, () => (down = true));
    h.clock.at(t0 + 9_000, () => (down = false));
    const { done } = watch(h, every2s, { stopAt: t0 + 12_000, deps: { store: flakyStore(h, () => down) } });
    expect(await done).toBe(0);
    const all = screens(h.stdout).map(visibleLines);
    expect(all).toHaveLength(6);
    const lastGood = all[1]!;
    // Readings at 4, 6 and 8 s fail; the outage keeps its start, the view stays the one of 2 s.
    for (const outage of all.slice(2, 5)) {
      expect(outage).toEqual([
        'shared state unreachable since 12:00:04 UTC · retrying every 2s · Ctrl-C to stop',
        refused,
        `last view, 12:00:02 UTC: ${lastGood[0]!.split(' · ')[0]!}`,
        ...lastGood.slice(1),
      ]);
    }
    expect(all[5]![0]).toBe(
      'cluster: ok, 1 node(s), 1 backend(s) · refreshed 12:00:10 UTC · every 2s · Ctrl-C to stop',
    );
    expect(all[5]!.find((line) => line.startsWith('node-a '))).toContain('10s ago');
    expect(h.stderr).toBe('');
  });

  it('says there is no view yet when the first reading already fails', async () => {
    const h = new Harness();
    const { done } = watch(h, every2s, { stopAt: h.clock.now() + 1, deps: { store: flakyStore(h, () => true) } });
    expect(await done).toBe(0);
    expect(visibleLines(screens(h.stdout)[0]!)).toEqual([
      'shared state unreachable since 12:00:00 UTC · retrying every 2s · Ctrl-C to stop',
      refused,
      'no view read yet',
    ]);
  });
});

describe('status --watch into a pipe', () => {
  it('prints every view in full under a timestamp line, a blank line between them, no escape codes', async () => {
    const h = new Harness();
    const t0 = h.clock.now();
    const { done } = watch(h, every2s, { tty: false, stopAt: t0 + 4_000 });
    expect(await done).toBe(0);
    const view = 'cluster: ok, 0 node(s), 0 backend(s)\n\nno nodes running\n\nno backends registered\n';
    expect(h.stdout).toBe(`status at 2026-01-01T12:00:00.000Z\n${view}\nstatus at 2026-01-01T12:00:02.000Z\n${view}`);
  });

  it('prints the outage line instead of a stale view, then views again once the state answers', async () => {
    const h = new Harness();
    await h.backends('b1');
    const t0 = h.clock.now();
    let down = false;
    h.clock.at(t0 + 2_000, () => (down = true));
    h.clock.at(t0 + 5_000, () => (down = false));
    const { done } = watch(h, every2s, { tty: false, stopAt: t0 + 8_000, deps: { store: flakyStore(h, () => down) } });
    expect(await done).toBe(0);
    const frames = h.stdout.split(/\n(?=status at )/);
    expect(frames).toHaveLength(4);
    expect(frames[1]).toBe(
      `status at 2026-01-01T12:00:02.000Z\nshared state unreachable since 12:00:02 UTC · retrying every 2s: ${refused}\n`,
    );
    expect(frames[2]).toContain('shared state unreachable since 12:00:02 UTC');
    expect(frames[3]).toMatch(/^status at 2026-01-01T12:00:06\.000Z\ncluster: ok, 0 node\(s\), 1 backend\(s\)\n/);
    expect(h.stdout).not.toContain('\x1b');
  });
});

describe('status --watch --json', () => {
  it('prints one JSON line per refresh (NDJSON), also on a terminal, and outage lines', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-a');
    const t0 = h.clock.now();
    const expected = JSON.parse(await statusNow(h, true)) as object;
    let down = false;
    h.clock.at(t0 + 2_000, () => (down = true));
    const store = flakyStore(h, () => down);
    const { done } = watch(h, { intervalMs: 2_000, json: true }, { stopAt: t0 + 4_000, deps: { store } });
    expect(await done).toBe(0);
    expect(h.stdout).not.toContain('\x1b');
    const lines = h.stdout.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(JSON.parse(lines[0]!)).toEqual({ at: iso(t0), ...expected });
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(['at', 'degraded', 'nodes', 'backends']);
    expect(JSON.parse(lines[1]!)).toEqual({ at: iso(t0 + 2_000), unreachableSince: iso(t0 + 2_000), error: refused });
  });
});

describe('stopping status --watch', () => {
  it('stops at once when Ctrl-C comes while a reading hangs', async () => {
    const h = new Harness();
    const interrupts = new FakeInterrupts();
    const hanging = storeWith(h.store, {
      listNodes: () => {
        setImmediate(() => interrupts.fire());
        return new Promise(() => {});
      },
    });
    const deps = { ...watchDeps(h, interrupts, true), store: hanging };
    expect(await runStatusWatch(every2s, deps, (io) => runStatus({ json: false }, io))).toBe(0);
    expect(h.stdout).toBe(`${hideCursor}${showCursor}`);
    expect(interrupts.listening).toBe(0);
  });

  it('ends the wait between refreshes through its signal', async () => {
    const h = new Harness();
    const interrupts = new FakeInterrupts();
    const waits: { ms: number; signal?: AbortSignal }[] = [];
    const sleep = (ms: number, signal?: AbortSignal): Promise<void> => {
      waits.push({ ms, signal });
      interrupts.fire();
      return new Promise(() => {});
    };
    const deps = { ...watchDeps(h, interrupts, false), sleep };
    expect(await runStatusWatch(every2s, deps, (io) => runStatus({ json: false }, io))).toBe(0);
    expect(waits).toHaveLength(1);
    expect(waits[0]!.ms).toBe(2_000);
    expect(waits[0]!.signal?.aborted).toBe(true);
  });

  it('counts the interval from the start of each reading, so a slow one does not stretch it', async () => {
    const h = new Harness();
    const waits: number[] = [];
    const slow = storeWith(h.store, {
      listNodes: () => {
        h.clock.advance(500);
        return h.store.listNodes();
      },
    });
    const sleep = (ms: number): Promise<void> => (waits.push(ms), h.clock.sleep(ms));
    const { done } = watch(h, every2s, { stopAt: h.clock.now() + 5_000, deps: { store: slow, sleep } });
    expect(await done).toBe(0);
    expect(waits).toEqual([1_500, 1_500, 1_500]);
  });

  it('restores the cursor and lets a bug through when reading throws something unexpected', async () => {
    const h = new Harness();
    const broken = storeWith(h.store, { listNodes: () => Promise.reject(new TypeError('a bug')) });
    const { interrupts, done } = watch(h, every2s, { deps: { store: broken } });
    await expect(done).rejects.toThrow(TypeError);
    expect(h.stdout).toBe(`${hideCursor}${showCursor}`);
    expect(interrupts.listening).toBe(0);
  });
});

describe('mooring status --watch (command line)', () => {
  it('watches every --interval through commander and exits 0 on Ctrl-C', async () => {
    const h = new Harness();
    const interrupts = new FakeInterrupts();
    const t0 = h.clock.now();
    h.clock.at(t0 + 1_200, () => interrupts.fire());
    const argv = ['status', '--watch', '--interval', '500ms', '--redis', 'redis://127.0.0.1:1'];
    const result = await watchCli(h, interrupts, false, argv);
    expect(result.code).toBe(0);
    expect(result.out.match(/^status at .*$/gm)).toEqual([
      'status at 2026-01-01T12:00:00.000Z',
      'status at 2026-01-01T12:00:00.500Z',
      'status at 2026-01-01T12:00:01.000Z',
    ]);
    expect(result.err).toBe('');
  });

  it('refreshes every 2 s by default', async () => {
    const h = new Harness();
    const interrupts = new FakeInterrupts();
    h.clock.at(h.clock.now() + 5_000, () => interrupts.fire());
    const result = await watchCli(h, interrupts, true, ['status', '--watch', '--redis', 'redis://127.0.0.1:1']);
    expect(result.code).toBe(0);
    expect(screens(result.out).map((screen) => visibleLines(screen)[0]!.split(' · ')[1])).toEqual([
      'refreshed 12:00:00 UTC',
      'refreshed 12:00:02 UTC',
      'refreshed 12:00:04 UTC',
    ]);
  });

  it.each([
    [['--watch', '--interval', '100ms'], '--interval: at least 200ms, got "100ms"'],
    [['--watch', '--interval', '0'], '--interval: at least 200ms, got "0"'],
    [['--watch', '--interval', 'soon'], '--interval: expected a duration such as 30s, 5m or 1h, got "soon"'],
    [['--interval', '5s'], '--interval: only with --watch'],
  ])('refuses %j with exit 2 before Redis is contacted', async (flags, message) => {
    const h = new Harness();
    const result = await h.cli(['status', ...flags, '--redis', 'redis://127.0.0.1:1']);
    expect(result).toEqual({ code: 2, out: '', err: `mooring: ${message}\n` });
    expect(h.opened).toEqual([]);
  });

  it('accepts the minimum, bare milliseconds, and defaults to 2 s', () => {
    expect(watchOptions({ watch: true, interval: '200ms' })).toEqual({ intervalMs: 200, json: false });
    expect(watchOptions({ watch: true, interval: '1500', json: true })).toEqual({ intervalMs: 1_500, json: true });
    expect(watchOptions({ watch: true })).toEqual({ intervalMs: 2_000, json: false });
    expect(watchOptions({})).toBeUndefined();
  });
});
