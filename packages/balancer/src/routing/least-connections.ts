import type { Candidate } from '../core/backend.js';
import { CandidateOrder, noCandidates } from './candidate-order.js';

/**
 * Least-connections ranking (HAProxy's leastconn): lowest live/weight first, ties broken by
 * rotation, so an idle fleet still spreads new sessions instead of piling on the first id.
 * Loads change with every session, so a decision reads them afresh: one scan finds the first and
 * copies the loads (`orderOf`); the whole order, the failover order, is ranked from that copy
 * only when a failover asks. The ranking uses no comparator, in scratch arrays reused from one
 * ranking to the next: a few candidates by insertion sort, many by sorting their loads natively
 * and placing each at the rank of its load, in turn order (a stable counting sort). A comparator
 * sort costs one JS call per comparison, which at 300 backends was most of a decision.
 */
export class LeastConnections {
  #slots: Candidate[] = [];
  #loads = new Float64Array(0);
  #sorted = new Float64Array(0);
  #filled = new Uint32Array(0);
  #placed = new Uint32Array(0);

  /**
   * Appends `pool` (sorted by id) best first. Turn t is `pool[(rotation + t) % n]`: rotation 1
   * starts the ties at the second id. `skip` (a pinned backend already placed) is left out, which
   * keeps the others in the order they would have with it. `snapshot` (loads by pool index, as
   * `orderOf` copied them) replaces the live loads.
   */
  rankInto(
    pool: readonly Candidate[],
    rotation: number,
    out: Candidate[],
    skip?: Candidate,
    snapshot?: readonly number[],
  ): void {
    const n = pool.length;
    if (n === 0) return;
    if (this.#loads.length !== n) this.#resize(n);
    const count = this.#collect(pool, rotation % n, skip, snapshot);
    if (count <= insertionLimit) this.#insertionOrder(count);
    else this.#countingOrder(count);
    for (let at = 0; at < count; at++) out.push(this.#slots[this.#placed[at]!]!);
  }

  /**
   * The order of `rankInto` for one session, lazily: the first is found by one scan (the lowest
   * load, the earliest turn among equals: what the stable ranking puts first), or is `pinned`;
   * the scan keeps a copy of the loads, which the first failover ranks the others by, so that
   * the order is the one these loads gave, whatever the live counts do meanwhile.
   */
  orderOf(pool: readonly Candidate[], rotation: number, pinned?: Candidate): CandidateOrder {
    const n = pool.length;
    if (n === 0 && pinned === undefined) return noCandidates;
    const loads = new Array<number>(n);
    let first = pinned;
    let lowest = Infinity;
    for (let turn = 0, at = rotation % n; turn < n; turn++, at = at + 1 === n ? 0 : at + 1) {
      const candidate = pool[at]!;
      const load = loadOf(candidate);
      loads[at] = load;
      if (pinned === undefined && (first === undefined || load < lowest)) {
        first = candidate;
        lowest = load;
      }
    }
    return new LeastConnectionsOrder(this, pool, rotation, first!, pinned, loads);
  }

  /** Few slots: a stable insertion sort of their indices by load beats any setup. */
  #insertionOrder(count: number): void {
    const loads = this.#loads;
    const placed = this.#placed;
    for (let slot = 0; slot < count; slot++) {
      let at = slot;
      while (at > 0 && loads[placed[at - 1]!]! > loads[slot]!) {
        placed[at] = placed[at - 1]!;
        at--;
      }
      placed[at] = slot;
    }
  }

  /** Many slots: sort the loads natively, then place each slot at its load's rank, in turn order. */
  #countingOrder(count: number): void {
    const sorted = this.#sorted;
    sorted.set(this.#loads);
    sorted.fill(Infinity, count);
    sorted.sort();
    const filled = this.#filled.fill(0);
    const placed = this.#placed;
    for (let slot = 0; slot < count; slot++) {
      const first = lowerBound(sorted, count, this.#loads[slot]!);
      const before = filled[first]!; // slots of the same load placed already, in turn order
      filled[first] = before + 1;
      placed[first + before] = slot;
    }
  }

  /** Fills the slots in turn order with their loads; returns how many there are. */
  #collect(
    pool: readonly Candidate[],
    offset: number,
    skip: Candidate | undefined,
    snapshot: readonly number[] | undefined,
  ): number {
    const n = pool.length;
    let count = 0;
    for (let turn = 0; turn < n; turn++) {
      const at = (offset + turn) % n;
      const candidate = pool[at]!;
      if (candidate === skip) continue;
      this.#slots[count] = candidate;
      this.#loads[count++] = snapshot === undefined ? loadOf(candidate) : snapshot[at]!;
    }
    return count;
  }

  /** Sized to the pool, which changes only with the membership. */
  #resize(n: number): void {
    this.#slots = new Array<Candidate>(n);
    this.#loads = new Float64Array(n);
    this.#sorted = new Float64Array(n);
    this.#filled = new Uint32Array(n);
    this.#placed = new Uint32Array(n);
  }
}

/** Live sessions per unit of weight; a weight of 0 ranks last (live 0 / 0 is NaN: last too). */
function loadOf(candidate: Candidate): number {
  const load = candidate.liveConnections / candidate.backend.weight;
  return Number.isNaN(load) ? Infinity : load;
}

/** A least-connections decision's order: its pool, turn and the loads it saw. */
class LeastConnectionsOrder extends CandidateOrder {
  readonly #ranker: LeastConnections;
  readonly #pool: readonly Candidate[];
  readonly #rotation: number;
  readonly #pinned: Candidate | undefined;
  readonly #loads: readonly number[];

  constructor(
    ranker: LeastConnections,
    pool: readonly Candidate[],
    rotation: number,
    first: Candidate,
    pinned: Candidate | undefined,
    loads: readonly number[],
  ) {
    super(first);
    this.#ranker = ranker;
    this.#pool = pool;
    this.#rotation = rotation;
    this.#pinned = pinned;
    this.#loads = loads;
  }

  protected rank(): readonly Candidate[] {
    const order = this.#pinned === undefined ? [] : [this.#pinned];
    this.#ranker.rankInto(this.#pool, this.#rotation, order, this.#pinned, this.#loads);
    return order;
  }
}

/** Up to this many candidates, insertion sort; above, the native sort and counting placement. */
const insertionLimit = 16;

/** Index of the first of `sorted[0..length)` that is ≥ value. */
function lowerBound(sorted: Float64Array, length: number, value: number): number {
  let low = 0;
  let high = length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (sorted[mid]! < value) low = mid + 1;
    else high = mid;
  }
  return low;
}
