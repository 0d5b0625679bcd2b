import type { BackendPool } from './backend-pool.js';
import type { Candidate } from '../core/backend.js';
import { rankCandidates, type BalancePolicy } from './choose-backend.js';

/**
 * The non-sticky choice for one worker: ranks the pool with the pure `rankCandidates` and owns
 * the only mutable selection state, the rotation, which moves once per session it places.
 */
export class BalancingRouter {
  readonly #pool: BackendPool;
  readonly #policy: BalancePolicy;
  #rotation = 0;

  constructor(pool: BackendPool, policy: BalancePolicy) {
    this.#pool = pool;
    this.#policy = policy;
  }

  /** Best-first order for a new session, without moving the rotation. */
  peek(): Candidate[] {
    return rankCandidates(this.#pool.candidates(), this.#policy, this.#rotation);
  }

  /** Best-first order for a new session that will be placed now: advances the rotation. */
  pick(): Candidate[] {
    const order = this.peek();
    if (order.length > 0) this.#rotation = (this.#rotation + 1) % 1_000_000_007;
    return order;
  }
}
