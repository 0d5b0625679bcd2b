/**
 * Virtual time for commands that poll. `sleep(ms)` parks the caller until the clock reaches
 * now + ms; the clock jumps straight to the earliest parked wake-up once everything runnable has
 * run (a macrotask later, after the store's promises settle), so concurrent waiters (a rollout
 * drains several backends at once) see one shared timeline and no test waits in real time.
 */
export class FakeClock {
  #now: number;
  #timers: { at: number; resolve: () => void; reject: (err: Error) => void }[] = [];
  #actions: { at: number; run: () => unknown }[] = [];
  #scheduled = false;
  #wakeUps = 0;
  /** A command that never stops polling fails its test instead of hanging it. */
  readonly #maxWakeUps: number;

  constructor(start = Date.UTC(2026, 0, 1, 12), maxWakeUps = 100_000) {
    this.#now = start;
    this.#maxWakeUps = maxWakeUps;
  }

  readonly now = (): number => this.#now;

  readonly sleep = (ms: number): Promise<void> =>
    new Promise((resolve, reject) => {
      this.#timers.push({ at: this.#now + ms, resolve, reject });
      this.#schedule();
    });

  /** Runs `run` (e.g. clients leaving) when the clock first reaches `at`, before any sleeper wakes. */
  at(at: number, run: () => unknown): void {
    this.#actions.push({ at, run });
  }

  /** Moves the clock forward by hand (no sleeper is woken). */
  advance(ms: number): void {
    this.#now += ms;
  }

  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => void this.#wakeEarliest());
  }

  async #wakeEarliest(): Promise<void> {
    this.#scheduled = false;
    const next = Math.min(...this.#timers.map((timer) => timer.at));
    this.#now = Math.max(this.#now, next);
    const due = this.#actions.filter((action) => action.at <= this.#now).sort((a, b) => a.at - b.at);
    this.#actions = this.#actions.filter((action) => action.at > this.#now);
    for (const action of due) await action.run();
    const woken = this.#timers.filter((timer) => timer.at <= this.#now);
    this.#timers = this.#timers.filter((timer) => timer.at > this.#now);
    for (const timer of woken) {
      if (++this.#wakeUps > this.#maxWakeUps) timer.reject(new Error('fake clock: the command never stops polling'));
      else timer.resolve();
    }
    if (this.#timers.length > 0) this.#schedule();
  }
}
