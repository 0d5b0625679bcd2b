import type { ServerResponse } from 'node:http';
import type { AdminContext, TrafficPoint } from '../admin-context.js';
import { ClusterReader } from './cluster-reader.js';
import { buildDashboardStatus } from './dashboard-status.js';
import { DrainProgress } from './drain-progress.js';
import { sseComment, sseEvent, sseRetry } from './sse.js';

/** One `status` event a second: the pace of the traffic history's points. */
const tickMs = 1_000;
/** A dropped stream is reconnected by the browser after this long. */
const retryMs = 3_000;
/**
 * A comment every 15 s. Status events already flow every second, but a proxy in front of the
 * admin listener may time out a response that sends nothing while a status build is failing.
 */
const keepAliveTicks = 15;
/**
 * A client that stops reading (a suspended tab behind a stuck connection) would make the
 * primary buffer a status a second forever: past this much unsent, its stream is dropped and
 * the browser reconnects when it wakes.
 */
const maxBufferedBytes = 1024 * 1024;
/** Enough for every operator's tabs; each stream costs a status serialisation a second. */
const defaultMaxStreams = 32;

const streamHeaders = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  // nginx and similar proxies buffer responses by default, which would hold events back.
  'x-accel-buffering': 'no',
};

interface Stream {
  readonly res: ServerResponse;
  /** `at` of the newest traffic point this stream has. */
  lastPointAt: number;
}

export interface DashboardStreamsOptions {
  /** Concurrent event streams; one more is refused with 503 MOORING_ERR_ADMIN_TOO_MANY_STREAMS. */
  readonly maxStreams?: number;
}

/**
 * The dashboard's event streams (`GET /api/v1/events`) of one admin listener. Every stream gets
 * `retry:`, the traffic history and a status at once, then each second the new traffic points
 * and the whole status. One timer serves all streams and runs only while one is open, so a
 * stream's end leaves nothing armed; the cluster is read once a second for all of them.
 */
export class DashboardStreams {
  readonly #ctx: AdminContext;
  readonly #maxStreams: number;
  readonly #reader: ClusterReader;
  readonly #progress = new DrainProgress();
  readonly #streams = new Map<ServerResponse, Stream>();
  #timer: NodeJS.Timeout | undefined;
  #ticks = 0;
  #failing = false;
  #closed = false;

  constructor(ctx: AdminContext, options: DashboardStreamsOptions = {}) {
    this.#ctx = ctx;
    this.#maxStreams = options.maxStreams ?? defaultMaxStreams;
    this.#reader = new ClusterReader(ctx.store, ctx.now);
  }

  /** Streams open now. */
  get size(): number {
    return this.#streams.size;
  }

  /** Whether the shared timer is armed (only while a stream is open). */
  get ticking(): boolean {
    return this.#timer !== undefined;
  }

  /** False when the cap is reached, or after close(). */
  get accepting(): boolean {
    return !this.#closed && this.#streams.size < this.#maxStreams;
  }

  /** Turns `res` into an event stream; resolves once its first status is sent. */
  async open(res: ServerResponse): Promise<void> {
    const stream: Stream = { res, lastPointAt: -Infinity };
    this.#streams.set(res, stream);
    res.once('close', () => this.#remove(res));
    res.writeHead(200, streamHeaders);
    this.#write(stream, sseRetry(retryMs) + this.#history(stream));
    this.#timer ??= setInterval(() => this.#tick(), tickMs).unref();
    // The first client after a quiet spell should not see an empty cluster for a second.
    if (this.#reader.stale()) await this.#reader.refresh();
    const status = this.#statusEvent();
    if (status !== undefined && this.#streams.has(res)) this.#write(stream, status);
  }

  /** Ends every stream and refuses new ones. */
  close(): Promise<void> {
    this.#closed = true;
    for (const { res } of this.#streams.values()) res.end();
    this.#stop();
    return Promise.resolve();
  }

  #tick(): void {
    this.#ticks += 1;
    const keepAlive = this.#ticks % keepAliveTicks === 0 ? sseComment('keep-alive') : '';
    const status = this.#statusEvent() ?? '';
    const points = this.#ctx.trafficHistory();
    for (const stream of this.#streams.values())
      this.#write(stream, keepAlive + this.#newPoints(stream, points) + status);
    void this.#reader.refresh();
  }

  /** The status event, or undefined (logged once per failing streak) if it cannot be built. */
  #statusEvent(): string | undefined {
    try {
      const local = this.#ctx.local();
      const status = buildDashboardStatus({
        local,
        cluster: this.#reader.last,
        // A degraded node's store is failing: whatever the last read said is not current.
        stale: this.#reader.stale() || local.controlPlane.degraded,
        now: this.#ctx.now(),
        drainStart: (backend, drain, remaining) => this.#progress.observe(backend, drain, remaining),
      });
      this.#progress.retain(new Set(local.controlPlane.drains.keys()));
      this.#failing = false;
      return sseEvent('status', status);
    } catch (err) {
      if (!this.#failing) this.#ctx.log.error({ err }, 'dashboard status failed');
      this.#failing = true;
      return undefined;
    }
  }

  #history(stream: Stream): string {
    const points = this.#ctx.trafficHistory();
    stream.lastPointAt = points.at(-1)?.at ?? -Infinity;
    return sseEvent('history', { points });
  }

  /** The points `stream` has not had yet, one `traffic` event each, oldest first. */
  #newPoints(stream: Stream, points: readonly TrafficPoint[]): string {
    let first = points.length;
    while (first > 0 && points[first - 1]!.at > stream.lastPointAt) first -= 1;
    const fresh = points.slice(first);
    if (fresh.length === 0) return '';
    stream.lastPointAt = fresh.at(-1)!.at;
    return fresh.map((point) => sseEvent('traffic', point)).join('');
  }

  #write(stream: Stream, text: string): void {
    const { res } = stream;
    if (text === '' || res.destroyed || res.writableEnded) return;
    if (res.writableLength > maxBufferedBytes) {
      res.destroy();
      return;
    }
    res.write(text);
  }

  #remove(res: ServerResponse): void {
    this.#streams.delete(res);
    if (this.#streams.size === 0) this.#stop();
  }

  #stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ticks = 0;
  }
}
