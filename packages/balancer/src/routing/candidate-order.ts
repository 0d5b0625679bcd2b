import type { Candidate } from '../core/backend.js';

/**
 * The best-first order of one routing decision: `first` is the choice, found with the decision;
 * the rest is the failover order, ranked only when a failover first asks for a candidate past
 * the first. Almost every session is served by its first candidate, and ranking every other
 * eligible backend is what grew with the fleet (about 25 µs a decision at 300 backends).
 *
 * The failover order is ranked from what the decision saw, never from the pool as it is when
 * the failover happens: the policy's structures of that generation (round-robin cycle, hash
 * ring), the rotation, and for least connections a copy of the loads. So it is exactly the order
 * an eager decision would have built, even after the first candidate was counted, the live
 * counts moved or the membership changed meanwhile.
 */
export abstract class CandidateOrder {
  /** The choice, or undefined when no backend was eligible. */
  readonly first: Candidate | undefined;
  /** The whole order (the first included), once a failover asked for it. */
  #all: readonly Candidate[] | undefined;

  protected constructor(first: Candidate | undefined) {
    this.first = first;
  }

  /**
   * The candidate at `index` (≥ 0) of the order, or undefined past its end. Index 0 costs
   * nothing; the first index past it ranks the whole failover order once.
   */
  at(index: number): Candidate | undefined {
    if (index === 0 || this.first === undefined) return index === 0 ? this.first : undefined;
    this.#all ??= this.rank();
    return this.#all[index];
  }

  /** The whole order, ranked if it was not yet (tests and diagnostics). */
  toArray(): Candidate[] {
    if (this.first === undefined) return [];
    this.#all ??= this.rank();
    return [...this.#all];
  }

  /** The whole order, the first included, from what the decision saw. Called at most once. */
  protected abstract rank(): readonly Candidate[];
}

/** The order of a decision that found no eligible backend. */
class NoCandidates extends CandidateOrder {
  constructor() {
    super(undefined);
  }

  protected rank(): readonly Candidate[] {
    return [];
  }
}

/** No backend was eligible: one shared, immutable instance. */
export const noCandidates: CandidateOrder = new NoCandidates();
