import type { ConnectionRecord } from '../core/session-record.js';
import type { StateStore } from '../state/state-store.js';
import { countInto } from '../proxy/metric-tally.js';

/**
 * This node's live WebSocket sessions, as its workers report them. Writes to the shared table
 * are batched into one pipeline per flush; the handshake path only ever appends to a list.
 * The whole table is kept so it can be re-published after the store was unreachable.
 */
export class ConnectionTable {
  readonly #node: string;
  readonly #live = new Map<string, ConnectionRecord>();
  #opened: ConnectionRecord[] = [];
  #closed: string[] = [];
  #needsRepublish = true;
  #openedTotal = 0;
  /** worker → backend → live sessions, kept as records come and go (read every counts interval). */
  readonly #byWorker = new Map<number, Map<string, number>>();

  constructor(node: string) {
    this.#node = node;
  }

  get size(): number {
    return this.#live.size;
  }

  /** Sessions opened on this node since it started (accepted handshakes), for rates. */
  get openedTotal(): number {
    return this.#openedTotal;
  }

  /** Every live session of this node. */
  records(): ConnectionRecord[] {
    return [...this.#live.values()];
  }

  ids(): Set<string> {
    return new Set(this.#live.keys());
  }

  opened(record: ConnectionRecord): void {
    this.#openedTotal++;
    const previous = this.#live.get(record.id);
    if (previous) this.#count(previous, -1);
    this.#live.set(record.id, record);
    this.#count(record, 1);
    this.#opened.push(record);
  }

  closed(id: string): void {
    const record = this.#live.get(id);
    if (!record) return;
    this.#live.delete(id);
    this.#count(record, -1);
    this.#closed.push(id);
  }

  /**
   * Live sessions per backend of each worker, as the workers last reported them: exact for this
   * node, where the shared table lags by a flush and a read (ClusterCounts puts the two together).
   */
  liveByWorker(): ReadonlyMap<number, ReadonlyMap<string, number>> {
    return this.#byWorker;
  }

  /**
   * A session now held by another worker of this node: the record is rewritten (close requests go
   * by it), yet no session opened. Its old worker's exit no longer takes it along.
   */
  moved(id: string, worker: number): void {
    const record = this.#live.get(id);
    if (!record || record.worker === worker) return;
    const moved = { ...record, worker };
    this.#count(record, -1);
    this.#live.set(id, moved);
    this.#count(moved, 1);
    this.#opened.push(moved);
  }

  /** Sessions a worker held when it died: it can no longer report them closed. */
  closeWorker(worker: number): void {
    for (const record of this.#live.values()) if (record.worker === worker) this.closed(record.id);
  }

  /** After an outage (or at start) the next flush replaces the shared table instead of patching it. */
  markStale(): void {
    this.#needsRepublish = true;
  }

  /** Sends what changed since the last flush; on failure the next flush re-publishes everything. */
  async flush(store: StateStore): Promise<void> {
    const opened = this.#opened;
    const closed = this.#closed;
    this.#opened = [];
    this.#closed = [];
    try {
      if (this.#needsRepublish) {
        this.#needsRepublish = false;
        await store.replaceConnections(this.#node, [...this.#live.values()]);
      } else if (opened.length > 0 || closed.length > 0) {
        await store.recordConnections(this.#node, opened, closed);
      }
    } catch (err) {
      this.#needsRepublish = true;
      throw err;
    }
  }

  #count(record: ConnectionRecord, delta: 1 | -1): void {
    const counts = this.#byWorker.get(record.worker) ?? new Map<string, number>();
    countInto(counts, record.backend, delta);
    if (counts.get(record.backend)! <= 0) counts.delete(record.backend);
    if (counts.size > 0) this.#byWorker.set(record.worker, counts);
    else this.#byWorker.delete(record.worker);
  }
}
