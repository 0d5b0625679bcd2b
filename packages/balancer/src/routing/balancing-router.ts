import type { BackendPool } from './backend-pool.js';
import type { Candidate } from '../core/backend.js';
import type { CandidateOrder } from './candidate-order.js';
import type { BalancePolicy } from './choose-backend.js';
import { LeastConnections } from './least-connections.js';
import type { RoutableSet } from './routable-set.js';
import { RoundRobinCycle } from './round-robin-cycle.js';

/**
 * The non-sticky choice for one worker: ranks the pool's eligible set (sorted by id once per
 * generation) and owns the only mutable selection state, the rotation, which moves once per
 * session it places. The round-robin cycle is built once per generation, not per request.
 */
export class BalancingRouter {
  readonly #pool: BackendPool;
  readonly #policy: BalancePolicy;
  readonly #leastConnections = new LeastConnections();
  #cycle: { readonly generation: number; readonly cycle: RoundRobinCycle } | undefined;
  #rotation = 0;

  constructor(pool: BackendPool, policy: BalancePolicy) {
    this.#pool = pool;
    this.#policy = policy;
  }

  /**
   * Best-first order for a new session, without moving the rotation: the first now, the
   * failover order on demand (CandidateOrder). With `first` (a pinned backend), the order
   * starts with it and ranks the others after it.
   */
  peek(first?: Candidate): CandidateOrder {
    const view = this.#pool.routable();
    if (this.#policy === 'round-robin') return this.#cycleOf(view).orderFrom(this.#rotation, first);
    return this.#leastConnections.orderOf(view.eligible, this.#rotation, first);
  }

  /** Best-first order for a new session that will be placed now: advances the rotation. */
  pick(): CandidateOrder {
    const order = this.peek();
    if (order.first !== undefined) this.#rotation = (this.#rotation + 1) % 1_000_000_007;
    return order;
  }

  #cycleOf(view: RoutableSet): RoundRobinCycle {
    if (this.#cycle?.generation !== view.generation)
      this.#cycle = { generation: view.generation, cycle: new RoundRobinCycle(view.eligible) };
    return this.#cycle.cycle;
  }
}
