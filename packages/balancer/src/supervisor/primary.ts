import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createAdminServer } from '../admin/admin-server.js';
import { formatHostPort } from '../config/host-port.js';
import type { MooringConfig } from '../config/schema.js';
import { listen, type Unsubscribe } from '../core/listener.js';
import { NodeControlPlane } from '../control-plane/node-control-plane.js';
import type { WorkerLink, WorkerSnapshot } from '../control-plane/worker-link.js';
import { NodeMetrics } from '../admin/node-metrics.js';
import { TrafficHistory } from '../admin/traffic-history.js';
import { instrumentStore } from '../state/instrumented-store.js';
import { openStateStore } from '../state/open-state-store.js';
import { MetricsScrape } from './metrics-scrape.js';
import { ensureCookieSecret } from './ensure-cookie-secret.js';
import type { PrimaryToWorker, WorkerToPrimary } from './ipc-messages.js';
import { WorkerSupervisor } from './worker-supervisor.js';

/** How the primary reads its configuration again on SIGHUP; throws ConfigError when invalid. */
export type ReloadConfig = () => Readonly<MooringConfig>;

/** What a node's primary is started with. */
export interface PrimaryOptions {
  readonly config: Readonly<MooringConfig>;
  readonly log: Logger;
  /** Reads the configuration sources again (SIGHUP); absent: reload is refused with a warning. */
  readonly reloadConfig?: ReloadConfig;
  /** The script each worker process runs (the CLI's worker entry). */
  readonly workerEntry: string;
}

/** What {@link Primary.start} builds. */
interface PrimaryParts {
  readonly workers: WorkerSupervisor;
  readonly controlPlane: NodeControlPlane;
  readonly admin: Server;
  readonly scrape: MetricsScrape;
  readonly history: TrafficHistory;
}

/** The control plane's calls to workers, as IPC messages. */
function workerLink(workers: WorkerSupervisor): WorkerLink {
  return {
    broadcastBackends: (backends) => workers.broadcast({ type: 'backends', backends }),
    broadcastHealth: (unhealthy) => workers.broadcast({ type: 'health', unhealthy }),
    broadcastCounts: (total) => workers.broadcast({ type: 'counts', total }),
    closeSession: (worker, id, code, reason) => workers.send(worker, { type: 'close-session', id, code, reason }),
  };
}

/** A new worker's state, as the messages it gets before it accepts its first connection. */
function snapshotMessages(snapshot: WorkerSnapshot): PrimaryToWorker[] {
  return [
    { type: 'backends', backends: snapshot.backends },
    { type: 'health', unhealthy: snapshot.unhealthy },
    { type: 'counts', total: snapshot.counts },
  ];
}

/**
 * The primary of a node: supervises the workers, keeps the shared state (the control plane),
 * serves the admin endpoints, and carries out reload and shutdown when told to. It never
 * proxies, and it installs no process-wide handler: the CLI wires signals to `reload()` and
 * `shutdown()`.
 */
export class Primary {
  readonly #log: Logger;
  readonly #reloadConfig: ReloadConfig | undefined;
  readonly #workers: WorkerSupervisor;
  readonly #controlPlane: NodeControlPlane;
  readonly #admin: Server;
  readonly #scrape: MetricsScrape;
  readonly #history: TrafficHistory;
  readonly #unsubscribe: Unsubscribe[] = [];
  #config: Readonly<MooringConfig>;
  #state: 'starting' | 'running' | 'shutting-down' | 'stopped' = 'starting';
  #shutdown: Promise<void> | undefined;
  #reloading = Promise.resolve();
  #readyLogged = false;

  /** Use {@link Primary.start}, which builds the parts. */
  constructor(options: PrimaryOptions, config: Readonly<MooringConfig>, parts: PrimaryParts) {
    this.#log = options.log;
    this.#reloadConfig = options.reloadConfig;
    this.#config = config;
    this.#workers = parts.workers;
    this.#controlPlane = parts.controlPlane;
    this.#admin = parts.admin;
    this.#scrape = parts.scrape;
    this.#history = parts.history;
  }

  /** Starts the shared state, the admin listener and the workers; resolves once they are under way. */
  static async start(options: PrimaryOptions): Promise<Primary> {
    const { log } = options;
    const config = ensureCookieSecret(options.config, log);
    const startedAt = Date.now();
    const workers = new WorkerSupervisor(config, log, options.workerEntry);
    const holder: { primary?: Primary; nodeMetrics?: NodeMetrics } = {};
    const rawStore = await openStateStore(config, log);
    const store = instrumentStore(rawStore, (_operation, seconds) => holder.nodeMetrics?.storeCommand(seconds));
    const controlPlane = new NodeControlPlane({ store, config, log, workers: workerLink(workers) });
    const nodeMetrics = new NodeMetrics({
      view: () => controlPlane.view(),
      storeUp: () => rawStore.available,
      storeReconnects: () => rawStore.reconnects,
      workers: () => workers.aliveCount,
      workerRestarts: () => workers.restarts,
    });
    holder.nodeMetrics = nodeMetrics;
    const scrape = new MetricsScrape(workers, () => nodeMetrics.workerTimedOut());
    const history = new TrafficHistory(() => controlPlane.view());
    await controlPlane.start();
    history.start();
    const admin = createAdminServer({
      log: log.child({ component: 'admin' }),
      now: Date.now,
      health: () => ({
        listeningWorkers: workers.listeningCount,
        shuttingDown: holder.primary?.shuttingDown ?? false,
        degraded: controlPlane.degraded,
      }),
      metricsText: () => scrape.text(nodeMetrics.registry),
      local: () => ({
        nodeId: config.nodeId,
        startedAt,
        listen: formatHostPort(config.listen),
        admin: formatHostPort(config.admin),
        shuttingDown: holder.primary?.shuttingDown ?? false,
        workers: workers.views(),
        controlPlane: controlPlane.view(),
      }),
      store,
      // Read on each request: a SIGHUP reload reads the token (file) again into the primary's config.
      get adminToken() {
        return (holder.primary ? holder.primary.#config : config).adminToken;
      },
      trafficHistory: () => history.points(),
    });
    admin.listen(config.admin.port, config.admin.host);
    await once(admin, 'listening');
    const primary = new Primary(options, config, { workers, controlPlane, admin, scrape, history });
    holder.primary = primary;
    primary.#run();
    return primary;
  }

  /** Whether shutdown has begun (/readyz answers 503 from then on). */
  get shuttingDown(): boolean {
    return this.#state === 'shutting-down' || this.#state === 'stopped';
  }

  /**
   * SIGTERM: /readyz fails first; then the workers stop accepting; live WebSockets are closed
   * gently, paced, until the deadline; then the node leaves the shared state. Idempotent;
   * resolves when the node has stopped.
   */
  shutdown(signal: string): Promise<void> {
    this.#shutdown ??= this.#stop(signal);
    return this.#shutdown;
  }

  /** Stops now: the workers are killed, the shared state and the admin listener closed without waiting. */
  destroy(): void {
    this.#state = 'stopped';
    this.#workers.destroy();
    this.#controlPlane.destroy();
    this.#history.destroy();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    this.#admin.close();
    this.#admin.closeAllConnections();
  }

  /**
   * SIGHUP: reads the configuration again and replaces the workers one at a time. An invalid
   * configuration is logged and the running one kept. Reloads queue behind each other.
   */
  reload(): Promise<void> {
    this.#reloading = this.#reloading.then(() => this.#reload());
    return this.#reloading;
  }

  #run(): void {
    const log = this.#log;
    this.#unsubscribe.push(
      listen(cluster, 'message', (worker: Worker, message: WorkerToPrimary) => this.#onWorkerMessage(worker, message)),
      listen(cluster, 'exit', (worker: Worker) => {
        this.#controlPlane.workerExited(worker.id);
        void this.#scrape.workerExited(worker.id);
      }),
      listen(cluster, 'listening', (worker: Worker, address: AddressInfo) => this.#onListening(worker, address)),
    );
    this.#state = 'running';
    log.info(
      {
        workers: this.#config.workers,
        listen: formatHostPort(this.#config.listen),
        scheduling: this.#config.scheduling,
      },
      'starting workers',
    );
    this.#workers.startAll();
  }

  #onWorkerMessage(worker: Worker, message: WorkerToPrimary): void {
    switch (message?.type) {
      case 'ready-for-state': // a new worker gets the current state before it accepts its first connection
        for (const snapshot of snapshotMessages(this.#controlPlane.snapshot())) this.#workers.send(worker.id, snapshot);
        break;
      case 'sessions':
        this.#controlPlane.sessionsReported(worker.id, message.opened, message.closed);
        break;
      case 'backend-failed':
        this.#controlPlane.backendFailed(message.backend);
        break;
      case 'metrics':
        this.#scrape.answered(worker.id, message.id, message.snapshot);
        break;
    }
  }

  #onListening(worker: Worker, address: AddressInfo): void {
    this.#log.info({ workerId: worker.id, workerPid: worker.process.pid }, 'worker ready');
    if (this.#readyLogged || this.#workers.listeningCount < this.#config.workers) return;
    this.#readyLogged = true;
    const admin = this.#admin.address() as AddressInfo;
    this.#log.info(
      {
        listen: { host: this.#config.listen.host, port: address.port },
        admin: { host: admin.address, port: admin.port },
        workers: this.#config.workers,
        scheduling: this.#config.scheduling,
      },
      'node ready',
    );
  }

  async #stop(signal: string): Promise<void> {
    const config = this.#config;
    this.#state = 'shutting-down';
    this.#log.info(
      {
        signal,
        deadlineMs: config.shutdownDeadline,
        closeRate: config.closeRate,
        live: this.#controlPlane.liveSessions(),
      },
      'shutting down',
    );
    this.#controlPlane.beginShutdown(config.closeRate, config.closeCode);
    await this.#workers.close(config.shutdownDeadline, config.closeCode);
    await this.#controlPlane.close();
    this.#history.destroy();
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
    // A scraper's keep-alive connection must not hold the exit up.
    const adminClosed = new Promise((resolve) => this.#admin.close(resolve));
    this.#admin.closeAllConnections();
    await adminClosed;
    this.#state = 'stopped';
    this.#log.info('node stopped');
  }

  async #reload(): Promise<void> {
    if (this.#state !== 'running') return;
    if (!this.#reloadConfig) return void this.#log.warn('SIGHUP: no configuration source to reload from, ignoring');
    try {
      const raw = this.#reloadConfig();
      // A generated cookie secret must survive the reload, or every issued cookie breaks.
      const keepSecret = raw.cookieSecret ? raw : Object.freeze({ ...raw, cookieSecret: this.#config.cookieSecret });
      this.#config = ensureCookieSecret(keepSecret, this.#log);
      this.#log.info(
        { workers: this.#config.workers },
        'SIGHUP: configuration reloaded, replacing workers one at a time',
      );
      await this.#controlPlane.reconfigure(this.#config);
      await this.#workers.reload(this.#config);
    } catch (err) {
      this.#log.error({ err }, 'SIGHUP: reload failed, keeping the running configuration');
    }
  }
}
