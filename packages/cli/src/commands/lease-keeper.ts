import { randomUUID } from 'node:crypto';
import type { BackendLease, LeaseOutcome, RegisteredBackend } from '@mooring/balancer';
import type { CommandDeps } from '../command-deps.js';

/** Where a {@link LeaseKeeper} is: renewing, stopped by its owner, or lost to someone else's entry. */
export type LeaseKeeperState = 'idle' | 'held' | 'stopped' | 'lost';

/** Options of {@link LeaseKeeper}. */
export interface LeaseKeeperOptions extends Pick<CommandDeps, 'store' | 'sleep' | 'err'> {
  readonly backend: RegisteredBackend;
  readonly ttlMs: number;
  /** Who holds the lease; random by default (one per announcer process). */
  readonly holder?: string;
}

/**
 * Keeps one leased registry entry alive for `mooring backend announce`: announces it, then renews
 * it every third of the TTL, so two renewals in a row may fail (Redis away, a slow command) before
 * the lease lapses. A renewal that fails is reported once and tried again at the next turn; a
 * renewal that finds the entry gone (a Redis that lost its data, `backend remove`) writes it again.
 * A renewal that finds an operator's entry or another announcer's live lease ends the keeping
 * (`lost`): the keeper never overwrites them.
 */
export class LeaseKeeper {
  readonly #options: LeaseKeeperOptions;
  readonly lease: BackendLease;
  readonly #stop = new AbortController();
  #state: LeaseKeeperState = 'idle';
  #loop: Promise<LeaseOutcome | undefined> | undefined;
  #failing = false;

  constructor(options: LeaseKeeperOptions) {
    this.#options = options;
    this.lease = { holder: options.holder ?? randomUUID(), ttlMs: options.ttlMs };
  }

  get state(): LeaseKeeperState {
    return this.#state;
  }

  /** Milliseconds between renewals: a third of the TTL. */
  get renewEveryMs(): number {
    return Math.floor(this.lease.ttlMs / 3);
  }

  /**
   * Announces the entry. `created` or `renewed` (a restarted announcer with the same holder):
   * renewals start. `operator` or `held`: nothing changed, and nothing more happens.
   */
  async start(): Promise<LeaseOutcome> {
    const outcome = await this.#options.store.leaseBackend(this.#options.backend, this.lease);
    if (outcome === 'operator' || outcome === 'held') {
      this.#state = 'lost';
      return outcome;
    }
    this.#state = 'held';
    this.#loop = this.#renewals();
    return outcome;
  }

  /** Resolves when the keeping ended on its own: with the outcome that took the entry away. */
  lost(): Promise<LeaseOutcome | undefined> {
    return this.#loop ?? Promise.resolve(undefined);
  }

  /** Stops renewing (the lease then lapses unless released); resolves once no renewal runs. Idempotent. */
  async stop(): Promise<void> {
    if (this.#state === 'held') this.#state = 'stopped';
    this.#stop.abort();
    await this.#loop;
  }

  /** Stops renewing and removes the entry, if it is still this keeper's. */
  async release(): Promise<boolean> {
    await this.stop();
    return this.#options.store.releaseBackendLease(this.#options.backend.id, this.lease.holder);
  }

  async #renewals(): Promise<LeaseOutcome | undefined> {
    const { store, sleep, backend } = this.#options;
    while (this.#state === 'held') {
      await sleep(this.renewEveryMs, this.#stop.signal);
      if (this.#state !== 'held') return undefined;
      const outcome = await store.leaseBackend(backend, this.lease).then(
        (answer) => this.#answered(answer),
        (error: unknown) => this.#failed(error),
      );
      if (outcome === 'operator' || outcome === 'held') {
        this.#state = 'lost';
        return outcome;
      }
    }
    return undefined;
  }

  #answered(outcome: LeaseOutcome): LeaseOutcome {
    if (this.#failing) this.#options.err(`mooring: lease of ${this.#options.backend.id} renewed again\n`);
    this.#failing = false;
    return outcome;
  }

  #failed(error: unknown): undefined {
    if (!this.#failing) {
      const reason = error instanceof Error ? error.message : String(error);
      this.#options.err(`mooring: lease renewal of ${this.#options.backend.id} failed (retrying): ${reason}\n`);
    }
    this.#failing = true;
    return undefined;
  }
}
