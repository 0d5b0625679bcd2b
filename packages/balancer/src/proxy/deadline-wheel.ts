/**
 * A deadline kept on a {@link DeadlineWheel}: made once by its owner and armed again and again,
 * so that arming allocates nothing and an idle tunnel holds no Node Timeout (an object, a list
 * entry and, with `socket.setTimeout`, a bound function and a `once` wrapper each).
 */
export class Deadline<Owner = unknown> {
  /** When it is due on the wheel's clock; undefined while not armed. */
  due: number | undefined = undefined;
  /** The slot that holds it while armed. */
  slot = -1;

  constructor(
    readonly owner: Owner,
    /** A function shared by every owner of a kind (no closure per owner): it gets the owner. */
    readonly expire: (owner: Owner) => void,
  ) {}

  get armed(): boolean {
    return this.due !== undefined;
  }
}

/** The wheel holds deadlines of every kind of owner; each expire function gets its own. */
type AnyDeadline = Deadline<unknown>;

/** The wheel's time and ticking; injected so that tests drive it by hand. */
export interface WheelClock {
  now(): number;
  /** Calls `tick` every `ms` until stopped; must not keep the process alive. */
  every(ms: number, tick: () => void): { stop(): void };
}

export const systemClock: WheelClock = {
  now: () => performance.now(),
  every(ms, tick) {
    const timer = setInterval(tick, ms);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  },
};

export interface DeadlineWheelOptions {
  /** Resolution: a deadline fires at the first tick at or after it, so never early and at most about a tick late. */
  readonly tickMs: number;
  /** Slots in one turn; a deadline further away than a turn waits in its slot for its own turn. */
  readonly slots?: number;
  readonly clock?: WheelClock;
  /** An expire function that threw; the others still run. */
  readonly onError?: (err: unknown) => void;
}

/**
 * One coarse timer per worker for the deadlines of every tunnel (handshake, idle, close grace,
 * pings): a hashed wheel of slots, each the set of deadlines due in that tick of the turn. Arming
 * and disarming are a Set insert and delete; a tick looks only at its slot. The interval runs
 * only while some deadline is armed, so an idle worker does not wake up for nothing.
 */
export class DeadlineWheel {
  readonly #tickMs: number;
  readonly #slots: Set<AnyDeadline>[];
  readonly #clock: WheelClock;
  readonly #onError: (err: unknown) => void;
  /** The last tick period (time / tickMs, rounded down) whose slot is done with. */
  #cursor: number;
  #armed = 0;
  #ticker: { stop(): void } | undefined;

  constructor(options: DeadlineWheelOptions) {
    if (!(options.tickMs > 0))
      throw new RangeError(`the wheel's tick must be a positive number of ms, got ${options.tickMs}`);
    this.#tickMs = options.tickMs;
    this.#slots = Array.from({ length: options.slots ?? 1024 }, () => new Set<AnyDeadline>());
    this.#clock = options.clock ?? systemClock;
    this.#onError =
      options.onError ??
      ((err) =>
        queueMicrotask(() => {
          throw err;
        }));
    this.#cursor = Math.floor(this.#clock.now() / this.#tickMs) - 1;
  }

  /** How many deadlines are armed. */
  get size(): number {
    return this.#armed;
  }

  /** Arms `deadline` to expire `delayMs` from now, replacing any time it was armed for. */
  arm<Owner>(deadline: Deadline<Owner>, delayMs: number): void {
    this.disarm(deadline);
    const now = this.#clock.now();
    if (this.#armed === 0 && !this.#ticker) {
      // The ticks missed while nothing was armed held nothing: start looking from now.
      this.#cursor = Math.max(this.#cursor, Math.floor(now / this.#tickMs) - 1);
    }
    const due = now + Math.max(0, delayMs);
    // The slot of the tick period `due` falls in, never one already left behind.
    const tick = Math.max(Math.floor(due / this.#tickMs), this.#cursor + 1);
    deadline.due = due;
    deadline.slot = tick % this.#slots.length;
    this.#slots[deadline.slot]!.add(deadline as unknown as AnyDeadline);
    this.#armed++;
    this.#ticker ??= this.#clock.every(this.#tickMs, () => this.#tick());
  }

  /** Disarms `deadline` if armed; it will not expire. */
  disarm<Owner>(deadline: Deadline<Owner>): void {
    if (deadline.due === undefined) return;
    this.#slots[deadline.slot]!.delete(deadline as unknown as AnyDeadline);
    deadline.due = undefined;
    deadline.slot = -1;
    this.#armed--;
  }

  /** Stops the interval and forgets every deadline (the worker is going away). */
  destroy(): void {
    for (const slot of this.#slots) {
      for (const deadline of slot) {
        deadline.due = undefined;
        deadline.slot = -1;
      }
      slot.clear();
    }
    this.#armed = 0;
    this.#stopTicking();
  }

  /**
   * Looks at every slot from the last tick's period to now's (several after an event-loop stall,
   * a whole turn at most). Now's period is looked at again next time: the interval does not
   * start on a period's edge, so part of this period may still be to come, and its deadlines
   * then fire at the first tick after them, less than a tick late.
   */
  #tick(): void {
    const now = this.#clock.now();
    const target = Math.floor(now / this.#tickMs);
    const from = Math.max(this.#cursor + 1, target - this.#slots.length + 1);
    for (let tick = from; tick <= target; tick++) this.#expireSlot(this.#slots[tick % this.#slots.length]!, now);
    this.#cursor = target - 1;
    if (this.#armed === 0) this.#stopTicking();
  }

  #expireSlot(slot: Set<AnyDeadline>, now: number): void {
    for (const deadline of slot) {
      // A deadline a turn or more away shares the slot; it waits for its own turn.
      if (deadline.due! > now) continue;
      this.disarm(deadline);
      try {
        deadline.expire(deadline.owner);
      } catch (err) {
        this.#onError(err);
      }
    }
  }

  #stopTicking(): void {
    this.#ticker?.stop();
    this.#ticker = undefined;
  }
}
