/** Where a {@link PeriodicTask} is: not timed yet (or turned off), timed, or done for good. */
export type PeriodicTaskState = 'idle' | 'armed' | 'closed';

/**
 * A store task run every `ms`, whose period can change (SIGHUP). A run still in progress (slow
 * Redis) is never overlapped, across a change of period too: a tick that finds it running is
 * skipped, so that, for instance, batches of the connection table reach the store in order.
 * Timers are the global ones, so vitest's fake timers drive it in tests.
 */
export class PeriodicTask {
  readonly #task: () => Promise<unknown>;
  #state: PeriodicTaskState = 'idle';
  #ms = 0;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #queued: Promise<void> | undefined;

  /** `task` must never reject: callers pass it through their DegradedTracker's guard. */
  constructor(task: () => Promise<unknown>) {
    this.#task = task;
  }

  get state(): PeriodicTaskState {
    return this.#state;
  }

  /**
   * Runs the task every `ms` from now on (0: never). Returns false when `ms` is the period
   * already (that timer is kept, with its phase) or the task is closed.
   */
  every(ms: number): boolean {
    if (this.#state === 'closed' || ms === this.#ms) return false;
    this.#disarm();
    this.#ms = ms;
    if (ms <= 0) return true;
    this.#state = 'armed';
    this.#timer = setInterval(() => this.#tick(), ms);
    return true;
  }

  /**
   * Runs the task now, or right after the run in progress (which began under the old settings);
   * several requests during one run make one more run. Resolves when that run is done.
   */
  runNow(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    if (!this.#current) return this.#start();
    const next = (): Promise<void> => {
      this.#queued = undefined;
      // Something started a run in between: wait for that one too, never run beside it.
      return this.#current ? this.runNow() : this.#start();
    };
    this.#queued ??= this.#current.then(next, next);
    return this.#queued;
  }

  /** Resolves once no run is in progress or asked for (a run that starts later is not waited for). */
  async settled(): Promise<void> {
    const ignore = (): void => {};
    await this.#queued?.catch(ignore);
    await this.#current?.catch(ignore);
  }

  /** Graceful: no further run; resolves once the run in progress is done. Idempotent. */
  async close(): Promise<void> {
    this.destroy();
    await this.settled();
  }

  /** Immediate: no further run; a run in progress finishes on its own, unawaited. */
  destroy(): void {
    this.#disarm();
    this.#state = 'closed';
  }

  #disarm(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ms = 0;
    if (this.#state === 'armed') this.#state = 'idle';
  }

  #tick(): void {
    if (!this.#current) void this.#start();
  }

  #start(): Promise<void> {
    if (this.#state === 'closed') return Promise.resolve();
    const run: Promise<void> = this.#task().then(
      () => this.#finished(run),
      (err: unknown) => {
        this.#finished(run);
        throw err;
      },
    );
    this.#current = run;
    return run;
  }

  #finished(run: Promise<void>): void {
    if (this.#current === run) this.#current = undefined;
  }
}
