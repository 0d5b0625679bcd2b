import type { TrafficSample, TrafficSource } from '../data-plane-metrics.js';
import type { WebSocketSession } from './websocket-session.js';

/** What the worker hears about WebSocket sessions, to keep the shared connection table. */
export interface SessionObserver {
  opened(session: WebSocketSession): void;
  closed(session: WebSocketSession): void;
}

/**
 * A worker's WebSocket sessions: all of them from the handshake on (for shutdown), and the open
 * ones by id (for the primary's close requests). Tells the observer of opens and closes.
 */
export class SessionRegistry implements TrafficSource {
  readonly all = new Set<WebSocketSession>();
  readonly #open = new Map<string, WebSocketSession>();
  readonly #observer: SessionObserver | undefined;
  #whenDrained: { promise: Promise<void>; resolve: () => void } | undefined;

  constructor(observer?: SessionObserver) {
    this.#observer = observer;
  }

  added(session: WebSocketSession): void {
    this.all.add(session);
  }

  opened(session: WebSocketSession): void {
    this.#open.set(session.id, session);
    this.#observer?.opened(session);
  }

  /** A session another worker handed over: open here from now on, but no new session to report. */
  adopted(session: WebSocketSession): void {
    this.all.add(session);
    this.#open.set(session.id, session);
  }

  /** A session this worker handed over: gone from here, yet not closed (nothing to report). */
  handedOver(session: WebSocketSession): void {
    this.all.delete(session);
    this.#open.delete(session.id);
    if (this.all.size === 0) this.#whenDrained?.resolve();
  }

  /** The open sessions that could move to another process now. */
  movable(): WebSocketSession[] {
    return [...this.#open.values()].filter((session) => session.movable);
  }

  finished(session: WebSocketSession, wasOpen: boolean): void {
    this.all.delete(session);
    this.#open.delete(session.id);
    if (wasOpen) this.#observer?.closed(session);
    if (this.all.size === 0) this.#whenDrained?.resolve();
  }

  /** The traffic of every open session since its last sample. */
  *sampleTraffic(): Iterable<TrafficSample> {
    for (const session of this.#open.values()) yield session.sampleTraffic();
  }

  /** Resolves once no session is left (at once when there is none). */
  drained(): Promise<void> {
    if (this.all.size === 0) return Promise.resolve();
    if (!this.#whenDrained) {
      let resolve!: () => void;
      const promise = new Promise<void>((done) => (resolve = done)).then(() => (this.#whenDrained = undefined));
      this.#whenDrained = { promise, resolve };
    }
    return this.#whenDrained.promise;
  }

  /** Closes one open session gently; false when this worker does not hold it. */
  closeGently(id: string, code: number, reason: 'drain' | 'shutdown' | 'rebalance'): boolean {
    const session = this.#open.get(id);
    if (session) void session.closeGently(code, reason);
    return session !== undefined;
  }

  /** Closes every session gently; resolves when all are gone. */
  async close(code: number): Promise<void> {
    await Promise.all([...this.all].map((session) => session.closeGently(code, 'shutdown')));
  }

  /** Ends every session now, without close frames. */
  destroy(): void {
    for (const session of this.all) session.terminate('shutdown');
  }
}
