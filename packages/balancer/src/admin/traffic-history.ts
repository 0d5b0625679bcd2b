import type { ControlPlaneView } from '../control-plane/node-control-plane.js';
import type { TrafficPoint } from './admin-context.js';

/** Ten minutes of one point a second: what the dashboard's chart shows. */
const keptPoints = 600;
const sampleMs = 1_000;

/**
 * The last minutes of this node's traffic, sampled every second from the control plane's view:
 * live WebSockets and handshakes accepted per second. Owns its timer.
 */
export class TrafficHistory {
  readonly #view: () => ControlPlaneView;
  readonly #now: () => number;
  readonly #points: TrafficPoint[] = [];
  #lastOpened: number;
  #timer: NodeJS.Timeout | undefined;

  constructor(view: () => ControlPlaneView, now: () => number = Date.now) {
    this.#view = view;
    this.#now = now;
    this.#lastOpened = view().sessionsOpened;
  }

  /** Oldest first. */
  points(): readonly TrafficPoint[] {
    return this.#points;
  }

  start(): void {
    this.#timer ??= setInterval(() => this.sample(), sampleMs).unref();
  }

  /** Takes one point now (the timer calls it every second). */
  sample(): void {
    const view = this.#view();
    const opened = view.sessionsOpened;
    this.#points.push({
      at: this.#now(),
      live: view.sessions.length,
      handshakesPerSecond: ((opened - this.#lastOpened) * 1000) / sampleMs,
    });
    this.#lastOpened = opened;
    if (this.#points.length > keptPoints) this.#points.splice(0, this.#points.length - keptPoints);
  }

  close(): Promise<void> {
    this.destroy();
    return Promise.resolve();
  }

  destroy(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}
