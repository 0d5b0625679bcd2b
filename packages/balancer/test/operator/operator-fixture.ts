import type { ConnectionRecord } from '../../src/core/session-record.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';

/** Long enough that no test node expires. */
const nodeTtlMs = 24 * 3_600_000;

/** One in-memory cluster on a hand-moved clock. */
export class OperatorFixture {
  at = Date.UTC(2026, 0, 1, 12);
  readonly now = (): number => this.at;
  readonly store = new MemoryStateStore({ now: this.now });

  /** Registers backends, active, weight 1, on ports 3001, 3002, … */
  async backends(...ids: string[]): Promise<void> {
    for (const [index, id] of ids.entries()) {
      await this.store.putBackend({ id, url: `http://127.0.0.1:${3001 + index}`, weight: 1, state: 'active' });
    }
  }

  /** Announces a live node, as its heartbeat would. */
  async node(id: string, degraded = false): Promise<void> {
    const info = { id, startedAt: this.at, pid: 4000, listen: `${id}:8080`, admin: `${id}:9090`, degraded };
    await this.store.heartbeat(info, nodeTtlMs);
  }

  /** Opens `count` sessions on `backend` through `node`, started at `startedAt`; resolves with their ids. */
  async open(node: string, backend: string, count: number, startedAt = this.at): Promise<string[]> {
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
}

/** The error `run` throws (sync or async), for asserting on its code and message. */
export async function failureOf(run: () => unknown): Promise<{ code?: string; message: string; name: string }> {
  try {
    await run();
  } catch (err) {
    return err as { code?: string; message: string; name: string };
  }
  throw new Error('expected a failure');
}
