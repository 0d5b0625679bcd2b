import type { Logger } from 'pino';
import type { MooringConfig } from '../config/schema.js';
import { formatHostPort } from '../config/host-port.js';
import type { StateStore } from '../state/state-store.js';
import { ClosePacer } from './close-pacer.js';
import { ClusterCounts } from './cluster-counts.js';
import { ConnectionTable } from './connection-table.js';
import { DegradedTracker } from './degraded-tracker.js';
import type { Probe } from './health-checker.js';
import { HealthLease, type HealthSettings } from './health-lease.js';
import { NodeHeartbeat, type NodeAnnouncement } from './node-heartbeat.js';
import { RebalanceFollower } from './rebalance-follower.js';
import { RegistrySync } from './registry-sync.js';
import { StateRecovery } from './state-recovery.js';
import type { WorkerLink } from './worker-link.js';

/** Options of NodeControlPlane. */
export interface NodeControlPlaneOptions {
  /** The shared state; the control plane owns it from now on and closes it. */
  readonly store: StateStore;
  readonly config: Readonly<MooringConfig>;
  readonly log: Logger;
  readonly workers: WorkerLink;
  readonly now?: () => number;
  /** Source of the close pacer's jitter. */
  readonly random?: () => number;
  /** The active health check of one backend (default: an HTTP GET). */
  readonly probe?: Probe;
}

/** The pieces of the control plane, one per job, wired to each other and to the workers. */
export interface ControlPlanePieces {
  readonly tracker: DegradedTracker;
  readonly table: ConnectionTable;
  readonly registry: RegistrySync;
  readonly heartbeat: NodeHeartbeat;
  readonly counts: ClusterCounts;
  readonly health: HealthLease;
  readonly pacer: ClosePacer;
  readonly rebalance: RebalanceFollower;
  readonly recovery: StateRecovery;
}

/** The health check's settings in a config. */
export const healthSettings = (config: Readonly<MooringConfig>): HealthSettings => ({
  intervalMs: config.healthInterval,
  path: config.healthPath,
  timeoutMs: config.healthTimeout,
});

/**
 * Builds the pieces. What one piece needs of another is read through a closure at the moment it
 * is needed (the membership to probe, the verdicts to announce), so no piece holds another.
 * `config` is the configuration in force (SIGHUP replaces it).
 */
export function composePieces(
  options: NodeControlPlaneOptions,
  config: () => Readonly<MooringConfig>,
): ControlPlanePieces {
  const { store, workers, now } = options;
  const first = options.config;
  const log = options.log.child({ component: 'state' });
  const tracker = new DegradedTracker(log);
  const table = new ConnectionTable(first.nodeId);
  const recovery = new StateRecovery({
    store,
    log,
    now,
    nodeId: first.nodeId,
    seed: () => ({ backends: registry.registered, drains: registry.drains, health: health.verdicts }),
  });
  const registry: RegistrySync = new RegistrySync({
    store,
    tracker,
    log,
    recovery,
    staticBackends: first.backends,
    onBackends: (backends) => workers.broadcastBackends(backends),
    onEvent: (event) => {
      if (event.type !== 'rebalance') return health.onEvent(event);
      rebalance.onEvent(event);
      // Reconnections are placed by these counts: while sessions move, read them at every tick of
      // the command rather than every 500 ms, so that two nodes do not both fill the same backend.
      if (event.closes.length > 0) void counts.refresh();
    },
  });
  const health: HealthLease = new HealthLease({
    store,
    tracker,
    log,
    now,
    probe: options.probe,
    settings: healthSettings(first),
    nodeId: first.nodeId,
    rise: first.healthRise,
    fall: first.healthFall,
    backends: () => registry.backends,
    onUnhealthy: (unhealthy) => workers.broadcastHealth(unhealthy),
  });
  const heartbeat = new NodeHeartbeat({
    store,
    tracker,
    table,
    now,
    intervalMs: first.heartbeatInterval,
    announce: () => announcement(config(), registry, health),
    onRecovered: () => registry.resync(),
  });
  const counts = new ClusterCounts({
    store,
    tracker,
    nodeId: first.nodeId,
    liveByWorker: () => table.liveByWorker(),
    onCounts: (live) => workers.broadcastCounts(live),
  });
  const pacer = new ClosePacer({
    sessions: table,
    now,
    random: options.random,
    drains: () => registry.drains,
    clusterLive: () => counts.live,
    close: (record, code, reason) => workers.closeSession(record.worker, record.id, code, reason),
  });
  const rebalance = new RebalanceFollower({
    nodeId: first.nodeId,
    sessions: table,
    random: options.random,
    close: (record, code) => workers.closeSession(record.worker, record.id, code, 'rebalance'),
    onHold: (holding) => workers.broadcastRebalancing?.(holding),
  });
  return { tracker, table, registry, heartbeat, counts, health, pacer, rebalance, recovery };
}

/** The node's entry: addresses, and the backends it would route a new session to now. */
function announcement(config: Readonly<MooringConfig>, registry: RegistrySync, health: HealthLease): NodeAnnouncement {
  const unhealthy = new Set(health.unhealthy);
  const routable = registry.backends.filter(({ id, state }) => state === 'active' && !unhealthy.has(id));
  return {
    id: config.nodeId,
    pid: process.pid,
    listen: formatHostPort(config.listen),
    admin: formatHostPort(config.admin),
    routable: routable.map((backend) => backend.id),
    // Bounded loads let a reconnection overflow a full backend; plain hashing sends it back.
    placement: config.sticky === 'hash' && config.hashBalanceFactor === 0 ? 'hash' : 'load',
  };
}
