import type { WheelClock } from '../../src/proxy/deadline-wheel.js';

/** A clock the test moves by hand; its ticker fires at every multiple of its period it passes. */
export class ManualClock implements WheelClock {
  time: number;
  #ticker: { ms: number; next: number; tick: () => void } | undefined;
  starts = 0;

  constructor(start = 1_000_000.5) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  every(ms: number, tick: () => void): { stop(): void } {
    this.starts++;
    const ticker = { ms, next: this.time + ms, tick };
    this.#ticker = ticker;
    return { stop: () => (this.#ticker === ticker ? (this.#ticker = undefined) : undefined) };
  }

  get ticking(): boolean {
    return this.#ticker !== undefined;
  }

  /** Moves time forward by `ms`, firing the ticker on time (or, with `stallMs`, once late). */
  advance(ms: number): void {
    const end = this.time + ms;
    while (this.#ticker && this.#ticker.next <= end) {
      const ticker = this.#ticker;
      this.time = ticker.next;
      ticker.next += ticker.ms;
      ticker.tick();
    }
    this.time = end;
  }

  /** The event loop was blocked for `ms`: one late tick, none in between. */
  stall(ms: number): void {
    this.time += ms;
    const ticker = this.#ticker;
    if (!ticker) return;
    ticker.next = this.time + ticker.ms;
    ticker.tick();
  }
}
