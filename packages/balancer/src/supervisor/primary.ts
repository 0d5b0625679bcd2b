import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Logger } from 'pino';
import { createAdminServer } from '../admin/admin-server.js';
import { formatHostPort } from '../config/host-port.js';
import type { MooringConfig } from '../config/schema.js';
import { listen, type Unsubscribe } from '../core/listener.js';
import { probeBackend } from '../control-plane/http-probe.js';
import { NodeControlPlane } from '../control-plane/node-control-plane.js';
import type { WorkerLink, WorkerSnapshot } from '../control-plane/worker-link.js';
import { NodeMetrics } from '../admin/node-metrics.js';
import { TrafficHistory } from '../admin/traffic-history.js';
import { instrumentStore } from '../state/instrumented-store.js';
import { AutoRebalance } from './auto-rebalance.js';
import { openStateStore } from '../state/open-state-store.js';
import { MetricsScrape } from './metrics-scrape.js';
import type { TlsMaterial } from '../proxy/tls/tls-material.js';
import { readTlsMaterial, usesTls } from './tls-loader.js';
import { TlsFileWatcher } from './tls-watcher.js';
import { ensureCookieSecret } from './ensure-cookie-secret.js';
import { readMessageRules } from '../config/message-rules-file.js';
import type { MessageRuleSpec } from '../protocol/message-rules.js';
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

/** Every file TLS reads, to watch for changes. */
function tlsFiles(config: Readonly<MooringConfig>): string[] {
  const optional = [config.tlsClientCa, config.backendCa, config.tlsTicketKeyFile];
  return [...config.tlsCert, ...config.tlsKey, ...optional.filter((file): file is string => file !== undefined)];
}

/** The certificates in use, with their names and expiry: one line each, at start and on every reload. */
function logCertificates(log: Logger, material: TlsMaterial | undefined, reason = 'start'): void {
  for (const certificate of material?.certificates ?? []) {
    const expires = new Date(certificate.validTo).toISOString();
    log.info({ file: certificate.file, names: certificate.names, expires, reason }, 'TLS certificate in use');
  }
}

/**
 * Options the primary applies without new workers: TLS files (their material is handed to the
 * workers), the static backends and the health checks (the control plane merges and tells the
 * workers), the admin token (read by the primary per request), and the message rules (handed to
 * the workers; open sessions keep the rule they started with), and auto-rebalancing (the primary's).
 */
const appliedInPlace: ReadonlyArray<keyof MooringConfig> = [
  'tlsCert',
  'tlsKey',
  'tlsClientCa',
  'tlsTicketKeyFile',
  'backendCa',
  'backends',
  'heartbeatInterval',
  'healthPath',
  'healthInterval',
  'healthTimeout',
  'adminToken',
  'adminTokenFile',
  'messageRules',
  'autoRebalance',
];

/** Whether a reload changed only what the primary applies in place (see {@link appliedInPlace}). */
function changesInPlaceOnly(a: Readonly<MooringConfig>, b: Readonly<MooringConfig>): boolean {
  const rest = (config: Readonly<MooringConfig>): string =>
    JSON.stringify({ ...config, ...Object.fromEntries(appliedInPlace.map((key) => [key, undefined])) });
  return rest(a) === rest(b);
}

/** The rules of `--message-rules`, if set (ConfigError when the file is bad), logged by path. */
function readRules(config: Readonly<MooringConfig>, log: Logger): readonly MessageRuleSpec[] {
  if (config.messageRules === undefined) return [];
  const rules = readMessageRules(config.messageRules);
  log.info({ file: config.messageRules, paths: rules.map((rule) => rule.path) }, 'message rules in force');
  return rules;
}

/** What {@link Primary.start} builds. */
interface PrimaryParts {
  readonly workers: WorkerSupervisor;
  readonly controlPlane: NodeControlPlane;
  readonly admin: Server;
  readonly scrape: MetricsScrape;
  readonly history: TrafficHistory;
  readonly tls: TlsMaterial | undefined;
  readonly rules: readonly MessageRuleSpec[];
  readonly autoRebalance: AutoRebalance;
}

/** The control plane's calls to workers, as IPC messages. */
function workerLink(workers: WorkerSupervisor): WorkerLink {
  return {
    broadcastBackends: (backends) => workers.broadcast({ type: 'backends', backends }),
    broadcastHealth: (unhealthy) => workers.broadcast({ type: 'health', unhealthy }),
    broadcastCounts: (counts) => workers.broadcast({ type: 'counts', ...counts }),
    closeSession: (worker, id, code, reason) => workers.send(worker, { type: 'close-session', id, code, reason }),
    broadcastRebalancing: (holding) => workers.broadcast({ type: 'rebalancing', holding }),
  };
}

/** A new worker's state, as the messages it gets before it accepts its first connection. */
function snapshotMessages(snapshot: WorkerSnapshot): PrimaryToWorker[] {
  return [
    { type: 'backends', backends: snapshot.backends },
    { type: 'health', unhealthy: snapshot.unhealthy },
    { type: 'counts', ...snapshot.counts },
    { type: 'rebalancing', holding: snapshot.rebalancing },
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
  readonly #autoRebalance: AutoRebalance;
  #tls: TlsMaterial | undefined;
  #rules: readonly MessageRuleSpec[];
  #tlsWatcher: TlsFileWatcher | undefined;
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
    this.#tls = parts.tls;
    this.#rules = parts.rules;
    this.#autoRebalance = parts.autoRebalance;
  }

  /** Starts the shared state, the admin listener and the workers; resolves once they are under way. */
  static async start(options: PrimaryOptions): Promise<Primary> {
    const { log } = options;
    const config = ensureCookieSecret(options.config, log);
    // Before anything starts: a certificate that does not parse or match its key is exit 2.
    const tls = usesTls(config) ? readTlsMaterial(config) : undefined;
    logCertificates(log, tls);
    const rules = readRules(config, log);
    const startedAt = Date.now();
    const workers = new WorkerSupervisor(config, log, options.workerEntry);
    const holder: { primary?: Primary; nodeMetrics?: NodeMetrics } = {};
    const rawStore = await openStateStore(config, log);
    const store = instrumentStore(rawStore, (_operation, seconds) => holder.nodeMetrics?.storeCommand(seconds));
    // Health checks of https:// backends verify them against the CA the workers use.
    const probe = (origin: string, path: string, timeoutMs: number): Promise<boolean> =>
      probeBackend(origin, path, timeoutMs, holder.primary?.backendCa ?? tls?.backendCa);
    const controlPlane = new NodeControlPlane({ store, config, log, workers: workerLink(workers), probe });
    const nodeMetrics = new NodeMetrics({
      view: () => controlPlane.view(),
      storeUp: () => rawStore.available,
      storeReconnects: () => rawStore.reconnects,
      workers: () => workers.aliveCount,
      workerRestarts: () => workers.restarts,
      tlsCertificates: () => (holder.primary ? holder.primary.#tls : tls)?.certificates ?? [],
    });
    holder.nodeMetrics = nodeMetrics;
    const scrape = new MetricsScrape(workers, () => nodeMetrics.workerTimedOut());
    const history = new TrafficHistory(() => controlPlane.view());
    await controlPlane.start();
    history.start();
    const autoRebalance = new AutoRebalance({
      store,
      nodeId: config.nodeId,
      log: log.child({ component: 'rebalance' }),
    });
    await autoRebalance.setEnabled(config.autoRebalance);
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
    const parts = { workers, controlPlane, admin, scrape, history, tls, rules, autoRebalance };
    const primary = new Primary(options, config, parts);
    holder.primary = primary;
    primary.#run();
    return primary;
  }

  /** The CA bundle `https://` backends must chain to, as last read. */
  get backendCa(): string | undefined {
    return this.#tls?.backendCa;
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
    this.#autoRebalance.destroy();
    this.#workers.destroy();
    this.#controlPlane.destroy();
    this.#history.destroy();
    this.#tlsWatcher?.close();
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
      listen(cluster, 'message', (worker: Worker, message: WorkerToPrimary, handle?: unknown) =>
        this.#onWorkerMessage(worker, message, handle),
      ),
      listen(cluster, 'exit', (worker: Worker) => {
        this.#controlPlane.workerExited(worker.id);
        void this.#scrape.workerExited(worker.id);
      }),
      listen(cluster, 'listening', (worker: Worker, address: AddressInfo) => this.#onListening(worker, address)),
    );
    this.#state = 'running';
    this.#watchTls();
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

  #onWorkerMessage(worker: Worker, message: WorkerToPrimary, handle: unknown): void {
    switch (message?.type) {
      case 'ready-for-state': // a new worker gets the current state before it accepts its first connection
        if (this.#tls) this.#workers.send(worker.id, { type: 'tls', material: this.#tls });
        if (this.#rules.length > 0) this.#workers.send(worker.id, { type: 'rules', rules: this.#rules });
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
      case 'handover-socket': // a retiring worker's tunnel, on its way to the successor
        this.#workers.relayHandover(worker.id, message, handle);
        break;
      case 'close-moved':
        this.#workers.send(message.to, {
          type: 'close-session',
          id: message.id,
          code: message.code,
          reason: message.reason,
        });
        break;
      case 'handover-result':
        // From now on close requests for the session go to the worker that holds it.
        if (message.adopted) this.#controlPlane.sessionMoved(message.id, worker.id);
        this.#workers.send(message.from, { type: 'handover-result', id: message.id, adopted: message.adopted });
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
    // First: a rebalance this node runs stops, so that it closes nothing the shutdown does not.
    await this.#autoRebalance.close();
    this.#controlPlane.beginShutdown(config.closeRate, config.closeCode);
    await this.#workers.close(config.shutdownDeadline, config.closeCode);
    await this.#controlPlane.close();
    this.#history.destroy();
    this.#tlsWatcher?.close();
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
      const next = ensureCookieSecret(keepSecret, this.#log);
      // Read before anything changes: a bad rules file refuses the whole reload, like a bad config.
      const rules = readRules(next, this.#log);
      const inPlaceOnly = changesInPlaceOnly(this.#config, next);
      const configChanged = JSON.stringify(this.#config) !== JSON.stringify(next);
      this.#config = next;
      const certificatesChanged = this.#reloadTls('SIGHUP');
      const rulesChanged = this.#applyRules(rules);
      this.#watchTls();
      await this.#controlPlane.reconfigure(next);
      await this.#autoRebalance.setEnabled(next.autoRebalance);
      // What can change in place, does (certificates, static backends, health checks, the admin
      // token, the message rules). TLS tunnels cannot move between processes, so such a SIGHUP
      // replaces no worker. A SIGHUP that changes nothing at all is how new code on disk is picked
      // up: it replaces them.
      if (inPlaceOnly && (configChanged || certificatesChanged || rulesChanged)) {
        return void this.#log.info('SIGHUP: configuration applied in place, no worker replaced');
      }
      this.#log.info({ workers: next.workers }, 'SIGHUP: configuration reloaded, replacing workers one at a time');
      await this.#workers.reload(next);
    } catch (err) {
      this.#log.error({ err }, 'SIGHUP: reload failed, keeping the running configuration');
    }
  }

  /** Hands changed message rules to every worker; true when they changed. */
  #applyRules(rules: readonly MessageRuleSpec[]): boolean {
    if (JSON.stringify(rules) === JSON.stringify(this.#rules)) return false;
    this.#rules = rules;
    this.#workers.broadcast({ type: 'rules', rules });
    return true;
  }

  /** Watches the TLS files of the current configuration (again after a reload). */
  #watchTls(): void {
    this.#tlsWatcher?.close();
    this.#tlsWatcher = usesTls(this.#config)
      ? new TlsFileWatcher(tlsFiles(this.#config), () => this.#reloadTls('file changed'))
      : undefined;
  }

  /**
   * Reads the TLS files again and, when they changed, hands the material to every worker (and says
   * so: true). A file
   * that does not parse, or a certificate that does not match its key, is logged and the current
   * material kept: a bad renewal never takes the listener down.
   */
  #reloadTls(reason: string): boolean {
    if (!usesTls(this.#config)) return false;
    let material: TlsMaterial;
    try {
      material = readTlsMaterial(this.#config);
    } catch (err) {
      this.#log.error({ err, reason }, 'TLS reload failed, keeping the current certificates');
      return false;
    }
    if (JSON.stringify(material) === JSON.stringify(this.#tls)) return false;
    this.#tls = material;
    logCertificates(this.#log, material, reason);
    this.#workers.broadcast({ type: 'tls', material });
    return true;
  }
}
