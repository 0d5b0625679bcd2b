import type { Logger } from 'pino';

/** Whether this node's last word with the shared state got through. */
export type Reachability = 'reachable' | 'degraded';

/**
 * The node's degraded mode, shared by every piece of the control plane. Each store operation
 * runs through `guard`: a failure turns the node degraded (logged once per outage) instead of
 * throwing or leaving an unhandled rejection, and the caller keeps its last known state.
 * Only a successful heartbeat ends the outage (`recovered`): it proves the node is registered
 * again, which a lucky read does not.
 */
export class DegradedTracker {
  readonly #log: Logger;
  #state: Reachability = 'reachable';

  constructor(log: Logger) {
    this.#log = log;
  }

  get state(): Reachability {
    return this.#state;
  }

  get degraded(): boolean {
    return this.#state === 'degraded';
  }

  /** Runs a store operation; resolves true when it succeeded, false (degraded) when it threw. */
  async guard(task: () => Promise<unknown>): Promise<boolean> {
    try {
      await task();
      return true;
    } catch (err) {
      if (this.#state === 'reachable') {
        this.#log.error({ err }, 'shared state unreachable: routing from the last known state (degraded)');
      }
      this.#state = 'degraded';
      return false;
    }
  }

  /**
   * A heartbeat got through. Returns true when that ends an outage: the caller then re-publishes
   * what Redis may have lost or expired meanwhile (the connection table, the registry view).
   */
  recovered(): boolean {
    if (this.#state === 'reachable') return false;
    this.#state = 'reachable';
    this.#log.info('shared state reachable again, re-publishing this node');
    return true;
  }
}
