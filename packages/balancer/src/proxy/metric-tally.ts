/**
 * What a worker's data plane counted for one backend since the metrics were last flushed into
 * prom-client: plain numbers, so recording a handshake, a close or an HTTP answer costs a few
 * additions and no label work. prom-client hashes its labels on every call, and the children that
 * `metric.labels(...)` returns only bind them (they hash again on each `inc` or `observe`), so
 * caching children would save nothing: the counts wait here instead, and DataPlaneMetrics adds
 * them to prom-client at scrape time, one labelled call per series that moved.
 */
export class BackendTally {
  /** Sessions opened minus sessions closed: the change of the connections gauge. */
  connections = 0;
  /** Whether a session opened or closed (the gauge's series exists even when they cancel out). */
  connectionsMoved = false;
  /** Handshake outcomes: `accepted` or why not → count. */
  readonly upgrades = new Map<string, number>();
  /** Session ends: reason → close code Mooring sent (undefined: none) → count. */
  readonly closes = new Map<string, Map<number | undefined, number>>();
  /** Session lengths in seconds, not yet observed. */
  readonly sessionSeconds: number[] = [];
  bytesFromClient = 0;
  bytesToClient = 0;
  messagesFromClient = 0;
  messagesToClient = 0;
  /** HTTP answers by status class: index 2 for 2xx, 5 for 5xx (Node allows 100 to 999). */
  readonly httpByClass = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0];
  /** HTTP answer times in seconds, not yet observed. */
  readonly httpSeconds: number[] = [];
  /** Whether anything was counted since the last flush: an idle tally is dropped at the next. */
  active = false;

  /** Whether its pending observations reached the bound past which they are flushed at once. */
  get full(): boolean {
    return this.sessionSeconds.length >= maxPending || this.httpSeconds.length >= maxPending;
  }

  /** Back to zero after a flush. */
  clear(): void {
    this.connections = 0;
    this.connectionsMoved = false;
    this.upgrades.clear();
    this.closes.clear();
    this.sessionSeconds.length = 0;
    this.bytesFromClient = 0;
    this.bytesToClient = 0;
    this.messagesFromClient = 0;
    this.messagesToClient = 0;
    this.httpByClass.fill(0);
    this.httpSeconds.length = 0;
    this.active = false;
  }
}

/**
 * Observations a tally holds before they are flushed without waiting for a scrape, so that a
 * worker nobody scrapes keeps a bounded amount (8 KiB of numbers per histogram and backend).
 */
const maxPending = 1024;

/** Adds `by` to the count of `key`. */
export function countInto<K>(counts: Map<K, number>, key: K, by = 1): void {
  counts.set(key, (counts.get(key) ?? 0) + by);
}
