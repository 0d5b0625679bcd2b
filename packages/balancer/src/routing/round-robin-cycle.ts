import type { Candidate } from '../core/backend.js';
import { CandidateOrder, noCandidates } from './candidate-order.js';

/**
 * Weighted round robin over a fixed set, precomputed once per change of that set: the cycle
 * interleaves members by weight (a: 2, b: 1 → a b a) so heavy backends are not served in bursts,
 * round r taking every member whose weight exceeds r. A backend of weight w appears w times.
 */
export class RoundRobinCycle {
  readonly #members: readonly Candidate[];
  /** Member indices in cycle order. */
  readonly #cycle: Uint32Array;
  /** Seen-set of `orderInto`: member m was met when `#seen[m] === #stamp`. */
  readonly #seen: Uint32Array;
  #stamp = 0;

  /** `members` sorted by id, so that every worker and node has the same cycle. */
  constructor(members: readonly Candidate[]) {
    this.#members = members;
    const rounds = members.reduce((most, member) => Math.max(most, member.backend.weight), 0);
    const cycle: number[] = [];
    for (let round = 0; round < rounds; round++) {
      members.forEach((member, index) => {
        if (member.backend.weight > round) cycle.push(index);
      });
    }
    this.#cycle = Uint32Array.from(cycle);
    this.#seen = new Uint32Array(members.length);
  }

  /**
   * The order of `orderInto` for one session, lazily: the member at turn `rotation` (or `pinned`,
   * a pinned backend) first, found in O(1); the others ranked by `orderInto` on the first failover.
   */
  orderFrom(rotation: number, pinned?: Candidate): CandidateOrder {
    if (pinned !== undefined) return new RoundRobinOrder(this, rotation, pinned, pinned);
    const cycle = this.#cycle;
    if (cycle.length === 0) return noCandidates;
    return new RoundRobinOrder(this, rotation, this.#members[cycle[rotation % cycle.length]!]!, undefined);
  }

  /**
   * Appends every member once, in cycle order from turn `rotation`: the first is this session's
   * choice, the rest the failover order. `skip` (a pinned backend already placed) is left out.
   */
  orderInto(rotation: number, out: Candidate[], skip?: Candidate): void {
    const cycle = this.#cycle;
    if (cycle.length === 0) return;
    const seen = this.#seen;
    const stamp = this.#nextStamp();
    const members = this.#members;
    let found = 0;
    for (let step = 0, at = rotation % cycle.length; step < cycle.length && found < members.length; step++) {
      const index = cycle[at]!;
      if (seen[index] !== stamp) {
        seen[index] = stamp;
        found++;
        if (members[index] !== skip) out.push(members[index]!);
      }
      at = at + 1 === cycle.length ? 0 : at + 1;
    }
  }

  #nextStamp(): number {
    if (this.#stamp === 0xffffffff) {
      this.#seen.fill(0);
      this.#stamp = 0;
    }
    return ++this.#stamp;
  }
}

/** A round-robin decision's order: the cycle of its generation and its turn are all it needs. */
class RoundRobinOrder extends CandidateOrder {
  readonly #cycle: RoundRobinCycle;
  readonly #rotation: number;
  readonly #pinned: Candidate | undefined;

  constructor(cycle: RoundRobinCycle, rotation: number, first: Candidate, pinned: Candidate | undefined) {
    super(first);
    this.#cycle = cycle;
    this.#rotation = rotation;
    this.#pinned = pinned;
  }

  protected rank(): readonly Candidate[] {
    const order = this.#pinned === undefined ? [] : [this.#pinned];
    this.#cycle.orderInto(this.#rotation, order, this.#pinned);
    return order;
  }
}
