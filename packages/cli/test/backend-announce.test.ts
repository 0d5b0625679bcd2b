import { describe, expect, it } from 'vitest';
import { backendAnnounceArgs, runBackendAnnounce } from '../src/commands/backend-announce.js';
import { LeaseKeeper } from '../src/commands/lease-keeper.js';
import { Harness, storeWith } from './support/harness.js';

const url = 'http://127.0.0.1:4100';
const flags = { ttl: '3s', weight: '2', drainDeadline: '10s' };

/** deps whose interrupt (SIGTERM, Ctrl-C) the test fires by hand. */
function interruptible(h: Harness): { deps: Harness['deps']; interrupt: () => void } {
  let handler: (() => void) | undefined;
  const deps = { ...h.deps, onInterrupt: (h2: () => void) => ((handler = h2), () => (handler = undefined)) };
  return { deps, interrupt: () => handler?.() };
}

describe('backend announce: arguments', () => {
  it.each([
    [['bad id!', url, flags], /id: expected a backend id/],
    [['ok', 'ftp://x', flags], /url: /],
    [['ok', url, { ...flags, ttl: '0' }], /^--ttl: expected a duration from 1s to 1h, got "0"$/],
    [['ok', url, { ...flags, ttl: '-1' }], /^--ttl: expected a duration such as/],
    [['ok', url, { ...flags, ttl: 'abc' }], /^--ttl: expected a duration such as/],
    [['ok', url, { ...flags, ttl: '999ms' }], /^--ttl: expected a duration from 1s to 1h/],
    [['ok', url, { ...flags, ttl: '2h' }], /^--ttl: expected a duration from 1s to 1h/],
    [['ok', url, { ...flags, weight: '0' }], /weight: /],
    [['ok', url, { ...flags, weight: '1.5' }], /weight: /],
    [['ok', url, { ...flags, weight: 'abc' }], /weight: /],
    [['ok', url, { ...flags, drainDeadline: 'soon' }], /^--drain-deadline: expected a duration/],
  ] as const)('refuses %j with exit 2 naming the argument', (args, message) => {
    const [id, given, options] = args;
    expect(() => backendAnnounceArgs(id, given, options)).toThrow(
      expect.objectContaining({ exitCode: 2, message: expect.stringMatching(message) }),
    );
  });

  it('exits 2 through the command line before any store is opened', async () => {
    const h = new Harness();
    const result = await h.cli(['backend', 'announce', 'ok', url, '--ttl', 'abc', '--redis', 'redis://r:6379']);
    expect(result).toMatchObject({ code: 2, out: '' });
    expect(result.err).toMatch(/^mooring: --ttl: expected a duration/);
    expect(h.opened).toEqual([]);
  });
});

describe('backend announce: the lease', () => {
  it('renews every third of the TTL until interrupted, then drains, removes the entry and exits 0', async () => {
    const h = new Harness();
    const { deps, interrupt } = interruptible(h);
    const leases: number[] = [];
    const store = storeWith(h.store, {
      leaseBackend: (backend, lease) => (leases.push(h.clock.now()), h.store.leaseBackend(backend, lease)),
    });
    const start = h.clock.now();
    // Renewals at 1 s, 2 s, …; interrupted at 3.5 s, with no session left to drain.
    h.clock.at(start + 3_500, interrupt);
    const run = runBackendAnnounce(backendAnnounceArgs('web-1', url, flags), { ...deps, store });
    await h.clock.sleep(100);
    expect((await h.store.readRegistry()).backends).toMatchObject([
      { id: 'web-1', weight: 2, lease: { ttlMs: 3_000 } },
    ]);
    expect(await run).toBe(0);
    expect(leases.slice(0, 4).map((at) => at - start)).toEqual([0, 1_000, 2_000, 3_000]);
    expect((await h.store.readRegistry()).backends).toEqual([]);
    expect(h.stdout).toMatch(/^announced web-1 http:\/\/127\.0\.0\.1:4100 \(weight 2\): lease 3s, renewed every 1s/);
    expect(h.stdout).toMatch(/draining web-1[^]*web-1: 0 live connection\(s\)[^]*removed web-1\n$/);
  });

  it('keeps renewing while it drains, so the entry (and its drain) outlives the TTL until the sessions end', async () => {
    const h = new Harness();
    const { deps, interrupt } = interruptible(h);
    await h.node('n1');
    const start = h.clock.now();
    h.clock.at(start + 1_000, async () => {
      await h.open('n1', 'web-1', 1);
      interrupt();
    });
    // The session ends 8 s later: well past the 3 s TTL, before the 10 s drain deadline.
    h.clock.at(start + 9_000, async () =>
      h.close(
        'n1',
        (await h.store.listConnections()).map(({ id }) => id),
      ),
    );
    let seenDraining = false;
    h.clock.at(start + 8_000, async () => {
      const [entry] = (await h.store.readRegistry()).backends;
      seenDraining = entry?.state === 'draining' && (await h.store.readLeases()).has('web-1');
    });
    expect(await runBackendAnnounce(backendAnnounceArgs('web-1', url, flags), deps)).toBe(0);
    expect(seenDraining).toBe(true);
    expect((await h.store.readRegistry()).backends).toEqual([]);
    expect(h.stdout).toMatch(/web-1: 1 live connection\(s\)[^]*web-1: 0 live connection\(s\)[^]*removed web-1\n$/);
  });

  it("refuses an operator's id with exit 4 and one line, changing nothing", async () => {
    const h = new Harness();
    await h.backends('web-1');
    const before = await h.store.readRegistry();
    expect(await runBackendAnnounce(backendAnnounceArgs('web-1', url, flags), h.deps)).toBe(4);
    expect(h.stderr).toBe(
      'mooring: backend "web-1" is registered by an operator (mooring backend add); ' +
        'an announcer never replaces it: nothing changed\n',
    );
    expect(await h.store.readRegistry()).toEqual(before);
    expect(await h.store.readLeases()).toEqual(new Map());
  });

  it('refuses an id another announcer holds with a live lease, with exit 4', async () => {
    const h = new Harness();
    await h.store.leaseBackend({ id: 'web-1', url, weight: 1, state: 'active' }, { holder: 'other', ttlMs: 60_000 });
    expect(await runBackendAnnounce(backendAnnounceArgs('web-1', url, flags), h.deps)).toBe(4);
    expect(h.stderr).toMatch(/^mooring: backend "web-1" is held by the live lease of another announcer/);
  });

  it('ends with exit 1, leaving the entry, when an operator replaced its lapsed entry', async () => {
    const h = new Harness();
    const start = h.clock.now();
    // Renewals stop reaching the store (a partition) past the TTL; an operator takes the id over.
    let partitioned = false;
    const store = storeWith(h.store, {
      leaseBackend: (backend, lease) =>
        partitioned ? Promise.reject(new Error('down')) : h.store.leaseBackend(backend, lease),
    });
    h.clock.at(start + 500, () => (partitioned = true));
    h.clock.at(start + 3_500, async () => {
      await h.store.putBackend({ id: 'web-1', url: 'http://127.0.0.1:5000', weight: 1, state: 'active' });
      partitioned = false;
    });
    expect(await runBackendAnnounce(backendAnnounceArgs('web-1', url, flags), { ...h.deps, store })).toBe(1);
    expect(h.stderr).toMatch(/lease renewal of web-1 failed \(retrying\): down\n/);
    expect(h.stderr).toMatch(/mooring: lease of web-1 lost: an operator registered it; that entry is left as it is\n$/);
    expect((await h.store.readRegistry()).backends).toEqual([
      { id: 'web-1', url: 'http://127.0.0.1:5000', weight: 1, state: 'active' },
    ]);
  });

  it('writes its entry again when a renewal finds it gone (a Redis that lost its data)', async () => {
    const h = new Harness();
    const keeper = new LeaseKeeper({
      ...h.deps,
      backend: { id: 'web-1', url, weight: 1, state: 'active' },
      ttlMs: 3_000,
    });
    expect(await keeper.start()).toBe('created');
    h.store.clear();
    await h.clock.sleep(1_001);
    expect((await h.store.readRegistry()).backends.map(({ id }) => id)).toEqual(['web-1']);
    expect(await keeper.release()).toBe(true);
    expect(keeper.state).toBe('stopped');
  });
});
