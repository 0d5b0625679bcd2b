import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Backend, Candidate } from '../../src/core/backend.js';
import { BackendPool } from '../../src/routing/backend-pool.js';
import { BalancingRouter } from '../../src/routing/balancing-router.js';
import { pickByHash } from '../../src/routing/bounded-load.js';
import type { CandidateOrder } from '../../src/routing/candidate-order.js';
import type { BalancePolicy } from '../../src/routing/choose-backend.js';
import { HashPlacement } from '../../src/routing/hash-placement.js';
import { LeastConnections } from '../../src/routing/least-connections.js';
import { RoundRobinCycle } from '../../src/routing/round-robin-cycle.js';
import { propertySettings } from './fast-check-settings.js';

/*
 * A decision finds its first candidate and ranks the failover order only when a failover asks
 * (CandidateOrder). These properties check that the lazy order is, candidate for candidate, the
 * order the eager ranking gives at the moment of the decision (RoundRobinCycle#orderInto,
 * LeastConnections#rankInto, the ring walk with the bounded-load pick moved first), even when
 * the failover is asked for after the first candidate was counted, the live counts moved, the
 * membership changed and other decisions were made and ranked in between.
 */

interface Spec {
  readonly id: string;
  readonly weight: number;
  readonly state: 'active' | 'draining';
  readonly unhealthy: boolean;
  readonly live: number;
}

/** Fleets of up to 24 backends: weights 0–4, some draining, some failing the health check. */
const specsArb: fc.Arbitrary<Spec[]> = fc.uniqueArray(
  fc.record({
    id: fc.integer({ min: 0, max: 999 }).map((n) => `b-${n}`),
    weight: fc.integer({ min: 0, max: 4 }),
    state: fc.constantFrom<'active' | 'draining'>('active', 'active', 'active', 'draining'),
    unhealthy: fc.integer({ min: 0, max: 4 }).map((n) => n === 0),
    live: fc.integer({ min: 0, max: 40 }),
  }),
  { selector: (spec) => spec.id, minLength: 0, maxLength: 24 },
);

/** What happens between the decision and its failover. */
const churnArb = fc.record({
  acquires: fc.array(fc.nat(), { maxLength: 20 }),
  releases: fc.array(fc.nat(), { maxLength: 20 }),
  /** Remove a backend from the membership (index into the fleet), or keep it whole. */
  remove: fc.option(fc.nat(), { nil: undefined }),
});

type Churn = typeof churnArb extends fc.Arbitrary<infer T> ? T : never;

function backendsOf(specs: readonly Spec[]): Backend[] {
  return specs.map((spec, index) => ({
    id: spec.id,
    url: `http://127.0.0.1:${4000 + index}`,
    weight: spec.weight,
    state: spec.state,
  }));
}

function poolOf(specs: readonly Spec[]): BackendPool {
  const pool = new BackendPool({ now: () => 0 });
  pool.setBackends(backendsOf(specs));
  pool.setUnhealthy(new Set(specs.filter((spec) => spec.unhealthy).map((spec) => spec.id)));
  for (const spec of specs) for (let n = spec.live; n > 0; n--) pool.acquire(spec.id);
  return pool;
}

/** The session counts its first candidate, then the world moves on before the failover. */
function churn(pool: BackendPool, specs: readonly Spec[], first: Candidate | undefined, moves: Churn): void {
  if (first !== undefined) pool.acquire(first.backend.id);
  if (specs.length === 0) return;
  for (const at of moves.acquires) pool.acquire(specs[at % specs.length]!.id);
  for (const at of moves.releases) pool.release(specs[at % specs.length]!.id);
  if (moves.remove !== undefined)
    pool.setBackends(backendsOf(specs.filter((_, i) => i !== moves.remove! % specs.length)));
}

const ids = (order: readonly Candidate[]): string[] => order.map((candidate) => candidate.backend.id);

/** Pulls the order one failover at a time, as a session does, until it runs out. */
function pulled(order: CandidateOrder): string[] {
  const out: string[] = [];
  for (let index = 0; ; index++) {
    const candidate = order.at(index);
    if (candidate === undefined) return out;
    out.push(candidate.backend.id);
  }
}

/** Today's eager order for a balancing decision: what BalancingRouter#peek built in full. */
function eagerBalanced(pool: BackendPool, policy: BalancePolicy, rotation: number, pinned?: Candidate): string[] {
  const eligible = pool.routable().eligible;
  const order: Candidate[] = pinned === undefined ? [] : [pinned];
  if (policy === 'round-robin') new RoundRobinCycle(eligible).orderInto(rotation, order, pinned);
  else new LeastConnections().rankInto(eligible, rotation, order, pinned);
  return ids(order);
}

/** Today's eager order for a hash decision: the pick (pickByHash), then the ring walk without it. */
function eagerHash(pool: BackendPool, placement: HashPlacement, key: string, factor?: number) {
  const eligible = pool.routable().eligibleById;
  const walk = placement.ring.walk(key).filter((id) => eligible.has(id));
  const options = factor === undefined ? {} : { balanceFactor: factor };
  const pick = pickByHash(placement.ring, key, pool.candidates(), options);
  if (pick === undefined) return { order: [], route: undefined };
  return { order: [pick.backendId, ...walk.filter((id) => id !== pick.backendId)], route: pick.route };
}

describe('lazy failover order', () => {
  it('balancing: each decision pulled lazily is the eager order of its moment, rotation after rotation', () => {
    fc.assert(
      fc.property(
        specsArb,
        fc.constantFrom<BalancePolicy>('least-connections', 'round-robin'),
        fc.array(fc.record({ op: fc.constantFrom('peek', 'pick', 'pinned'), pin: fc.nat(), moves: churnArb }), {
          minLength: 1,
          maxLength: 8,
        }),
        (specs, policy, steps) => {
          const pool = poolOf(specs);
          const balancer = new BalancingRouter(pool, policy);
          let rotation = 0;
          const pending: { order: CandidateOrder; expected: string[] }[] = [];
          for (const { op, pin, moves } of steps) {
            const eligible = pool.routable().eligible;
            const pinned = op === 'pinned' && eligible.length > 0 ? eligible[pin % eligible.length] : undefined;
            const expected = eagerBalanced(pool, policy, rotation, pinned);
            const order = op === 'pick' ? balancer.pick() : balancer.peek(pinned);
            if (op === 'pick' && order.first !== undefined) rotation++;
            expect(order.first?.backend.id).toBe(expected[0]);
            pending.push({ order, expected });
            churn(pool, specs, order.first, moves);
          }
          // Failovers asked for late, newest decision first, after all the churn.
          for (const { order, expected } of pending.reverse()) {
            expect(pulled(order)).toEqual(expected);
            expect(ids(order.toArray())).toEqual(expected);
          }
        },
      ),
      propertySettings(400),
    );
  });

  it('hash: the lazy order is the eager walk, bounded-load overflow and its reordering included', () => {
    fc.assert(
      fc.property(
        specsArb,
        fc.array(fc.record({ key: fc.string({ maxLength: 12 }), moves: churnArb }), { minLength: 1, maxLength: 6 }),
        fc.constantFrom(undefined, 1.01, 1.25, 2),
        (specs, steps, factor) => {
          const pool = poolOf(specs);
          const factorPercent = factor === undefined ? undefined : Math.round(factor * 100);
          let placement: HashPlacement | undefined;
          const pending: { order: CandidateOrder | undefined; expected: string[] }[] = [];
          for (const { key, moves } of steps) {
            placement = HashPlacement.of(pool.routable(), placement);
            const expected = eagerHash(pool, placement, key, factor);
            const order = placement.place(key, factorPercent);
            expect({ first: order?.first?.backend.id, route: order?.route }).toEqual({
              first: expected.order[0],
              route: expected.route,
            });
            pending.push({ order, expected: expected.order });
            churn(pool, specs, order?.first, moves);
          }
          for (const { order, expected } of pending.reverse()) expect(order ? pulled(order) : []).toEqual(expected);
        },
      ),
      propertySettings(150),
    );
  });

  it('an order asked for candidate 2 before candidate 1 still gives the eager order', () => {
    const specs: Spec[] = ['a', 'b', 'c', 'd'].map((id, i) => ({
      id,
      weight: 1 + (i % 2),
      state: 'active',
      unhealthy: false,
      live: 3 - i,
    }));
    const pool = poolOf(specs);
    const order = new BalancingRouter(pool, 'least-connections').pick();
    const expected = eagerBalanced(pool, 'least-connections', 0);
    expect(expected).toEqual(['d', 'b', 'c', 'a']);
    pool.acquire('d');
    pool.acquire('b');
    pool.acquire('b');
    expect(order.at(2)?.backend.id).toBe('c');
    expect(order.at(1)?.backend.id).toBe('b');
    expect(order.at(4)).toBeUndefined();
    expect(pulled(order)).toEqual(expected);
  });
});
