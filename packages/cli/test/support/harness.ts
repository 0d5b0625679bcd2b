import { MemoryStateStore, type ConnectionRecord, type StateStore } from '@mooring/balancer';
import type { CliDeps, CommandDeps } from '../../src/command-deps.js';
import { runCli } from '../../src/cli.js';
import { FakeClock } from './fake-clock.js';

/** Long enough that no test node expires while the fake clock runs. */
const nodeTtlMs = 24 * 3_600_000;

/**
 * One in-memory cluster for a test: a store on a fake clock, and captured stdout and stderr.
 * `deps` runs a command's `run…` directly; `cli(argv)` goes through commander as `mooring` does,
 * each invocation opening its own store on the same shared state (as each process opens Redis).
 */
export class Harness {
  readonly clock = new FakeClock();
  readonly store = new MemoryStateStore({ now: this.clock.now });
  stdout = '';
  stderr = '';
  /** What `--redis`/`--prefix` each `cli()` invocation asked to open, in order. */
  readonly opened: { url: string; prefix: string }[] = [];
  /** Stands in for Redis when set: what `openStore` does instead of sharing `store`. */
  openStore?: CliDeps['openStore'];

  readonly deps: CommandDeps = {
    store: this.store,
    out: (text) => void (this.stdout += text),
    err: (text) => void (this.stderr += text),
    now: this.clock.now,
    sleep: this.clock.sleep,
  };

  /** Runs `mooring …argv` in-process; the result's out/err are only this invocation's. */
  async cli(argv: readonly string[]): Promise<{ code: number; out: string; err: string }> {
    const before = { out: this.stdout.length, err: this.stderr.length };
    const { store: _shared, ...io } = this.deps;
    const code = await runCli(argv, {
      ...io,
      openStore: async (where) => {
        this.opened.push({ ...where });
        if (this.openStore) return this.openStore(where);
        return new MemoryStateStore({ shareWith: this.store, now: this.clock.now });
      },
    });
    return { code, out: this.stdout.slice(before.out), err: this.stderr.slice(before.err) };
  }

  /** stdout as lines, without the empty one after the last newline. */
  get outLines(): string[] {
    return this.stdout.split('\n').slice(0, -1);
  }

  /** Registers backends (active, weight 1 unless given). */
  async backends(...entries: (string | { id: string; weight?: number })[]): Promise<void> {
    for (const [index, entry] of entries.entries()) {
      const { id, weight = 1 } = typeof entry === 'string' ? { id: entry } : entry;
      await this.store.putBackend({ id, url: `http://127.0.0.1:${3001 + index}`, weight, state: 'active' });
    }
  }

  /** Announces a live node, as its heartbeat would. */
  async node(id: string, extra: { routable?: string[]; degraded?: boolean } = {}): Promise<void> {
    const info = { id, startedAt: this.clock.now(), pid: 4000 + id.length, listen: `${id}:8080`, admin: `${id}:9090` };
    await this.store.heartbeat({ ...info, ...extra }, nodeTtlMs);
  }

  /** Opens `count` sessions on `backend` through `node`; resolves with their ids. */
  async open(node: string, backend: string, count: number, startedAt = this.clock.now()): Promise<string[]> {
    const records: ConnectionRecord[] = Array.from({ length: count }, (_, index) => ({
      id: `${node}-${backend}-${startedAt}-${index}`,
      node,
      worker: 1 + (index % 2),
      backend,
      client: `10.0.0.${index + 1}`,
      route: 'balance',
      startedAt,
    }));
    await this.store.recordConnections(node, records, []);
    return records.map((record) => record.id);
  }

  /** Ends sessions, as a node's next connection-table batch would. */
  async close(node: string, ids: readonly string[]): Promise<void> {
    await this.store.recordConnections(node, [], ids);
  }
}

/** A store that answers like `store` except for the methods given. */
export function storeWith(store: StateStore, overrides: Partial<StateStore>): StateStore {
  return new Proxy(store, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof StateStore];
      const value: unknown = Reflect.get(target, key);
      // Bound to the real store: its private fields are checked on `this`.
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
