import type { Logger } from 'pino';
import type { MooringConfig } from '../config/schema.js';
import { formatHostPort } from '../config/host-port.js';
import { HealthTracker } from './health-tracker.js';
import { probeBackend } from './http-probe.js';
import type { Backend } from '../core/backend.js';
import { CloseScheduler } from './close-scheduler.js';
import { closeTickMs } from './timings.js';
import type { DrainRecord, StateEvent, StateStore } from '../state/state-store.js';
import { ConnectionTable } from './connection-table.js';
import { RegistryMerge } from './registry-merge.js';
import type { PrimaryToWorker, WorkerToPrimary } from '../supervisor/ipc-messages.js';

const healthLease = 'health';
/** How often batched connection-table writes go out. */
const flushIntervalMs = 100;
/** How often cluster-wide live counts are read for least-connections and drains. */
const countsIntervalMs = 500;
/** Shortest interval between two passive-failure reports of one backend. */
const passiveReportIntervalMs = 500;
/** Polling of the registry: the safety net under pub/sub, for raw HSET/HDEL (≤ 2 s). */
const registryPollMs = 1_000;

/**
 * A store task run every `ms`, whose period can change (SIGHUP). A run still in progress (slow
 * Redis) is never overlapped, across a change of period too: a tick that finds it running is
 * skipped, so that batches of the connection table reach the store in order.
 */
class PeriodicTask {
  readonly #task: () => Promise<unknown>;
  #ms = 0;
  #timer: NodeJS.Timeout | undefined;
  #running = false;
  #again = false;

  /** `task` must never reject (the agent passes every task through its #guard). */
  constructor(task: () => Promise<unknown>) {
    this.#task = task;
  }

  /**
   * Runs the task every `ms` from now on (0: never). Returns false when `ms` is the period
   * already: that timer is kept, with its phase.
   */
  every(ms: number): boolean {
    if (ms === this.#ms) return false;
    this.stop();
    this.#ms = ms;
    if (ms > 0) this.#timer = setInterval(() => this.#run(), ms);
    return true;
  }

  /** Runs the task now, or right after the run in progress (which began under the old settings). */
  runNow(): void {
    if (this.#running) this.#again = true;
    else this.#run();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#ms = 0;
    this.#again = false;
  }

  #run(): void {
    if (this.#running) return;
    this.#running = true;
    void this.#task().finally(() => {
      this.#running = false;
      if (!this.#again) return;
      this.#again = false;
      this.#run();
    });
  }
}

/**
 * The primary's link to the shared state: it heartbeats the node, keeps the connection table,
 * follows the registry and shared health, runs the active health check while it holds the
 * lease, and sends workers snapshots. Workers never wait on the store; when it is unreachable
 * they keep routing from the last snapshot and the node reports `degraded`.
 */
export class NodeStateAgent {
  readonly #store: StateStore;
  #config: Readonly<MooringConfig>;
  readonly #log: Logger;
  readonly #send: (message: PrimaryToWorker) => void;
  readonly #sendTo: (worker: number, message: PrimaryToWorker) => void;
  readonly #scheduler: CloseScheduler;
  #drains: ReadonlyMap<string, DrainRecord> = new Map();
  #clusterLive: ReadonlyMap<string, number> = new Map();
  #shutdown: { rate: number; code: number } | undefined;
  readonly #lastFailureReport = new Map<string, number>();
  readonly #table: ConnectionTable;
  readonly #registry: RegistryMerge;
  readonly #tracker: HealthTracker;
  // Every periodic task goes through #guard: a store failure turns the node degraded, never
  // into an unhandled rejection.
  readonly #heartbeats = this.#periodic(() => this.#heartbeat());
  readonly #flushes = this.#periodic(() => this.#table.flush(this.#store));
  readonly #registryPolls = this.#periodic(() => this.#syncRegistry());
  readonly #countReads = this.#periodic(() => this.#syncCounts());
  readonly #healthChecks = this.#periodic(() => this.#checkHealth());
  #paceTimer: NodeJS.Timeout | undefined;
  #phase: 'created' | 'starting' | 'running' | 'stopped' = 'created';
  readonly #startedAt = Date.now();
  #backends: readonly Backend[];
  #unhealthy: readonly string[] = [];
  #counts: Readonly<Record<string, number>> = {};
  #degraded = false;
  #holdsLease = false;
  #unsubscribe: (() => Promise<void>) | undefined;

  constructor(options: {
    store: StateStore;
    config: Readonly<MooringConfig>;
    log: Logger;
    send: (message: PrimaryToWorker) => void;
    sendTo: (worker: number, message: PrimaryToWorker) => void;
  }) {
    this.#store = options.store;
    this.#config = options.config;
    this.#log = options.log.child({ component: 'state' });
    this.#send = options.send;
    this.#sendTo = options.sendTo;
    this.#scheduler = new CloseScheduler((record, code) =>
      this.#sendTo(record.worker, { type: 'close-session', id: record.id, code, reason: this.#shutdown ? 'shutdown' : 'drain' }),
    );
    this.#table = new ConnectionTable(options.config.nodeId);
    this.#registry = new RegistryMerge(options.config.backends, this.#log);
    this.#tracker = new HealthTracker({ rise: options.config.healthRise, fall: options.config.healthFall, node: options.config.nodeId });
    this.#backends = options.config.backends;
  }

  get degraded(): boolean {
    return this.#degraded;
  }

  /** Everything a newly forked worker needs before it serves. */
  snapshot(): PrimaryToWorker[] {
    return [
      { type: 'backends', backends: this.#backends },
      { type: 'health', unhealthy: this.#unhealthy },
      { type: 'counts', total: this.#counts },
    ];
  }

  async start(): Promise<void> {
    this.#phase = 'starting';
    await this.#heartbeat();
    await this.#syncRegistry();
    await this.#subscribe();
    // stop() during the first round trips (SIGTERM while Redis is slow) leaves nothing running.
    if (this.#stopped) return void (await this.#unsubscribe?.().catch(() => {}));
    this.#phase = 'running';
    this.#heartbeats.every(this.#config.heartbeatInterval);
    this.#flushes.every(flushIntervalMs);
    this.#registryPolls.every(registryPollMs);
    this.#countReads.every(countsIntervalMs);
    this.#healthChecks.every(this.#config.healthInterval);
    this.#paceTimer = setInterval(() => this.#paceCloses(), closeTickMs);
  }

  /**
   * SIGHUP: new static backends and settings; the registry is merged again at once, and the
   * timers whose period is configured follow the new one.
   */
  async reconfigure(config: Readonly<MooringConfig>): Promise<void> {
    this.#config = config;
    this.#registry.setStatic(config.backends);
    if (this.#phase === 'running') await this.#rearm();
    await this.#syncRegistry();
  }

  /** Read through a getter: `start()` checks it after awaits, past TypeScript's narrowing. */
  get #stopped(): boolean {
    return this.#phase === 'stopped';
  }

  async #rearm(): Promise<void> {
    const { heartbeatInterval, healthInterval } = this.#config;
    // A beat's TTL is three intervals of the config in force, so beat at once: a longer interval
    // must not find the entry expired (it still has the old, shorter TTL) before its first beat.
    if (this.#heartbeats.every(heartbeatInterval)) this.#heartbeats.runNow();
    if (!this.#healthChecks.every(healthInterval)) return;
    // Likewise the health lease; and with checks off here, another node takes over at once.
    if (healthInterval > 0) this.#healthChecks.runNow();
    else await this.#giveUpLease();
  }

  async #giveUpLease(): Promise<void> {
    if (!this.#holdsLease) return;
    this.#holdsLease = false;
    await this.#guard(() => this.#store.releaseLease(healthLease, this.#config.nodeId));
  }

  #periodic(task: () => Promise<unknown>): PeriodicTask {
    return new PeriodicTask(() => this.#guard(task));
  }

  /** Live sessions of this node. */
  liveSessions(): number {
    return this.#table.size;
  }

  /**
   * SIGTERM: close this node's sessions gently at `rate` per second from now on (drains past
   * their deadline keep their own terms).
   */
  beginShutdown(rate: number, code: number): void {
    this.#shutdown = { rate, code };
    this.#paceCloses();
  }

  #paceCloses(): void {
    // Most of the time nothing is due: skip copying the table (it may hold many thousands).
    const now = Date.now();
    if (!this.#shutdown && ![...this.#drains.values()].some((drain) => drain.deadlineAt <= now)) return;
    this.#scheduler.forget(this.#table.ids());
    this.#scheduler.tick(now, this.#drains, this.#table.records(), this.#clusterLive, this.#shutdown);
  }

  /** A worker's report. */
  onWorkerMessage(worker: number, message: WorkerToPrimary): void {
    if (message.type === 'ready-for-state') return;
    if (message.type === 'sessions') {
      for (const record of message.opened) this.#table.opened({ ...record, worker });
      for (const id of message.closed) this.#table.closed(id);
    } else if (message.type === 'backend-failed') this.#sharePassiveFailure(message.backend);
  }

  /**
   * Tells the health checker of a refused or reset connection. At most one report per backend
   * per half second: a dead backend refuses every worker's every attempt, and one is enough.
   */
  #sharePassiveFailure(backend: string): void {
    const now = Date.now();
    if ((this.#lastFailureReport.get(backend) ?? 0) > now - passiveReportIntervalMs) return;
    this.#lastFailureReport.set(backend, now);
    void this.#guard(() => this.#store.publish({ type: 'passive-failure', backend, node: this.#config.nodeId }));
  }

  /** A worker died: its sessions died with it. */
  onWorkerExit(worker: number): void {
    this.#table.closeWorker(worker);
  }

  /** Clean shutdown: leave the nodes table and hand the health lease on. */
  async stop(): Promise<void> {
    this.#phase = 'stopped';
    const tasks = [this.#heartbeats, this.#flushes, this.#registryPolls, this.#countReads, this.#healthChecks];
    for (const task of tasks) task.stop();
    clearInterval(this.#paceTimer);
    this.#scheduler.stop();
    await this.#unsubscribe?.().catch(() => {});
    await this.#store.removeNode(this.#config.nodeId).catch(() => {});
    if (this.#holdsLease) await this.#store.releaseLease(healthLease, this.#config.nodeId).catch(() => {});
    await this.#store.close().catch(() => {});
  }

  async #heartbeat(): Promise<void> {
    const info = {
      id: this.#config.nodeId,
      startedAt: this.#startedAt,
      pid: process.pid,
      listen: formatHostPort(this.#config.listen),
      admin: formatHostPort(this.#config.admin),
      degraded: this.#degraded,
      routable: this.#backends.filter((backend) => backend.state === 'active' && !this.#unhealthy.includes(backend.id)).map((backend) => backend.id),
    };
    let continued = true;
    const ok = await this.#guard(async () => {
      continued = await this.#store.heartbeat(info, this.#config.heartbeatInterval * 3);
    });
    // Our entry had expired (a stall longer than the TTL, or the first beat): the connection
    // table expired with it, so the next flush publishes it whole.
    if (ok && !continued) this.#table.markStale();
    if (ok && this.#degraded) {
      this.#degraded = false;
      this.#table.markStale(); // re-publish the whole table: Redis may have lost or expired it
      this.#log.info('shared state reachable again, re-publishing this node');
      await this.#syncRegistry();
    }
  }

  async #subscribe(): Promise<void> {
    await this.#guard(async () => {
      this.#unsubscribe = await this.#store.subscribe((event) => this.#onEvent(event));
    });
  }

  #onEvent(event: StateEvent): void {
    if (event.type === 'registry-changed') void this.#syncRegistry();
    else if (event.type === 'health-changed') void this.#readHealth();
    else if (event.type === 'passive-failure' && this.#holdsLease) {
      // #recordHealth writes to the store unguarded (inside #checkHealth it runs under #guard):
      // a failure here must turn the node degraded too, not surface as an unhandled rejection.
      void this.#guard(() => this.#recordHealth([[event.backend, false]]));
    }
  }

  async #syncRegistry(): Promise<void> {
    await this.#guard(async () => {
      const [registry, drains] = await Promise.all([this.#store.readRegistry(), this.#store.readDrains()]);
      this.#drains = drains;
      const merged = this.#registry.apply(registry);
      if (!merged) return;
      this.#backends = merged;
      this.#log.info({ backends: merged.map((backend) => `${backend.id}=${backend.url}${backend.state === 'draining' ? ' (draining)' : ''}`) }, 'backends changed');
      this.#send({ type: 'backends', backends: merged });
    });
  }

  async #syncCounts(): Promise<void> {
    await this.#guard(async () => {
      const counts = await this.#store.liveCounts();
      this.#clusterLive = counts.total;
      const total = Object.fromEntries(counts.total);
      if (JSON.stringify(total) === JSON.stringify(this.#counts)) return;
      this.#counts = total;
      this.#send({ type: 'counts', total });
    });
  }

  /** One node at a time (the lease holder) probes; every node reads the shared verdicts. */
  async #checkHealth(): Promise<void> {
    await this.#guard(async () => {
      const held = await this.#store.acquireLease(healthLease, this.#config.nodeId, this.#config.healthInterval * 3);
      if (held && !this.#holdsLease) this.#tracker.load(await this.#store.readHealth());
      this.#holdsLease = held;
      if (held) {
        const { healthPath, healthTimeout } = this.#config;
        const results = await Promise.all(this.#backends.map(async (backend) => [backend.id, await probeBackend(backend.url, healthPath, healthTimeout)] as const));
        this.#tracker.retain(new Set(this.#backends.map((backend) => backend.id)));
        await this.#recordHealth(results);
      }
      await this.#readHealth();
    });
  }

  async #recordHealth(results: ReadonlyArray<readonly [string, boolean]>): Promise<void> {
    const now = Date.now();
    const changed = results.filter(([id, passed]) => this.#tracker.observe(id, passed, now)).map(([id]) => id);
    await this.#store.writeHealth(this.#tracker.records());
    if (changed.length === 0) return;
    const records = this.#tracker.records();
    for (const id of changed) this.#log.warn({ backend: id, healthy: records.get(id)?.healthy }, 'backend health changed');
    await this.#store.publish({ type: 'health-changed' });
  }

  async #readHealth(): Promise<void> {
    await this.#guard(async () => {
      const records = await this.#store.readHealth();
      const unhealthy = [...records].filter(([, record]) => !record.healthy).map(([id]) => id).sort();
      if (unhealthy.join(',') === this.#unhealthy.join(',')) return;
      this.#unhealthy = unhealthy;
      this.#send({ type: 'health', unhealthy });
    });
  }

  /** Runs a store operation; a failure turns the node degraded (logged once), never throws. */
  async #guard(task: () => Promise<unknown>): Promise<boolean> {
    try {
      await task();
      return true;
    } catch (err) {
      if (!this.#degraded) this.#log.error({ err }, 'shared state unreachable: routing from the last known state (degraded)');
      this.#degraded = true;
      return false;
    }
  }
}
