import type { ConnectionRecord } from '../core/session-record.js';
import type { RebalanceCloses, StateStore } from '../state/state-store.js';
import { planRebalance, type RebalancePlan } from './rebalance-plan.js';

/** The cluster as one rebalance round sees it: the plan, and the sessions it may close. */
export interface RebalanceView {
  readonly plan: RebalancePlan;
  /** Live sessions on the routable backends, summed. */
  readonly total: number;
  readonly sessions: readonly ConnectionRecord[];
  /**
   * Routable backends some live node does not route to yet (a backend just added, before every
   * node has read it): sessions closed now could not reconnect to them.
   */
  readonly unseen: readonly string[];
  /** Live nodes that route by consistent hashing alone: sessions they move come back where they were. */
  readonly hashing: readonly string[];
}

/**
 * Reads what a round plans from: the routable backends (registered, active, not held down by the
 * shared health check, not a lapsed lease), their cluster-wide live counts, and the connection
 * table. Draining and unhealthy backends are left out: a drain moves their sessions, not this.
 */
export async function readRebalanceView(store: StateStore, tolerance: number): Promise<RebalanceView> {
  const [shared, health, counts, sessions, nodes] = await Promise.all([
    store.readShared(),
    store.readHealth(),
    store.liveCounts(),
    store.listConnections(),
    store.listNodes(),
  ]);
  const routable = shared.registry.backends.filter(
    (backend) =>
      backend.state === 'active' &&
      health.get(backend.id)?.healthy !== false &&
      (backend.lease === undefined || shared.leases.has(backend.id)),
  );
  const inputs = routable.map(({ id, weight }) => ({ id, weight, live: counts.total.get(id) ?? 0 }));
  const total = inputs.reduce((sum, backend) => sum + backend.live, 0);
  // A node announces what it routes to in its heartbeat (`routable`); one that does not is not waited for.
  const unseen = routable
    .filter(({ id }) => nodes.some((node) => node.routable !== undefined && !node.routable.includes(id)))
    .map(({ id }) => id);
  const hashing = nodes.filter((node) => node.placement === 'hash').map((node) => node.id);
  return { plan: planRebalance(inputs, tolerance), total, sessions, unseen, hashing };
}

/**
 * The sessions to close for `plan`: on each backend with sessions to move, that many of its
 * oldest sessions at least `minAgeMs` old, not asked before and `known` (listed before the
 * rebalance's first close), all of them oldest first (the oldest have had the longest time on
 * their backend). A session listed only since the closes began may be a moved client's
 * reconnection (or is a new client): a later round that corrects where reconnections landed moves
 * others, so that no client is closed twice by one rebalance. Pure.
 */
export function chooseVictims(
  plan: RebalancePlan,
  sessions: readonly ConnectionRecord[],
  options: VictimRules,
): ConnectionRecord[] {
  const byBackend = new Map<string, ConnectionRecord[]>();
  for (const record of sessions) {
    if (closability(record, options) !== 'now') continue;
    const list = byBackend.get(record.backend) ?? [];
    list.push(record);
    byBackend.set(record.backend, list);
  }
  const victims: ConnectionRecord[] = [];
  for (const { id, move } of plan.backends) {
    if (move <= 0) continue;
    victims.push(...oldestFirst(byBackend.get(id) ?? []).slice(0, move));
  }
  return oldestFirst(victims);
}

/** What makes a session one a round may close (see {@link chooseVictims}). */
export interface VictimRules {
  readonly now: number;
  readonly minAgeMs: number;
  readonly asked: ReadonlySet<string>;
  /**
   * The sessions the shared table listed before the rebalance's first close. Membership, not the
   * session's `startedAt`, tells a reconnection: that is the node's clock, and a node whose clock
   * is behind the command's would pass a moved client's new session off as an old one.
   */
  readonly known: ReadonlySet<string>;
}

/**
 * Whether a later round could still close one of the sessions `plan` wants moved: one on a
 * backend with sessions to move that only has to reach the minimum age. When none can (all that
 * is left there are clients this rebalance already asked to move, or reconnections and new
 * clients since it began), waiting brings nothing. Pure.
 */
export function anyMaturing(plan: RebalancePlan, sessions: readonly ConnectionRecord[], options: VictimRules): boolean {
  const moving = new Set(plan.backends.filter(({ move }) => move > 0).map(({ id }) => id));
  return sessions.some((record) => moving.has(record.backend) && closability(record, options) === 'later');
}

function closability(record: ConnectionRecord, options: VictimRules): 'now' | 'later' | 'never' {
  if (options.asked.has(record.id) || !options.known.has(record.id)) return 'never';
  return options.now - record.startedAt < options.minAgeMs ? 'later' : 'now';
}

/** Groups sessions by their node, as a rebalance event lists them. */
export function closesByNode(records: readonly ConnectionRecord[]): RebalanceCloses[] {
  const byNode = new Map<string, string[]>();
  for (const record of records) byNode.set(record.node, [...(byNode.get(record.node) ?? []), record.id]);
  return [...byNode].map(([node, ids]) => ({ node, ids }));
}

function oldestFirst(records: readonly ConnectionRecord[]): ConnectionRecord[] {
  return [...records].sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
