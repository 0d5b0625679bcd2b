import cluster from 'node:cluster';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { createAdminServer } from '../admin/admin-server.js';
import { ensureCookieSecret } from './ensure-cookie-secret.js';
import { formatHostPort } from '../config/host-port.js';
import type { MooringConfig } from '../config/schema.js';
import { NodeControlPlane } from '../control-plane/node-control-plane.js';
import type { WorkerLink, WorkerSnapshot } from '../control-plane/worker-link.js';
import { openStateStore } from '../state/open-state-store.js';
import { WorkerSupervisor } from './worker-supervisor.js';
import type { PrimaryToWorker, WorkerToPrimary } from './ipc-messages.js';

/** How the primary reads its configuration again on SIGHUP; throws ConfigError when invalid. */
export type ReloadConfig = () => Readonly<MooringConfig>;

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
 * Runs the primary of a node: supervises the workers, keeps the shared state, serves the admin
 * endpoints, and orchestrates reload (SIGHUP) and shutdown (SIGTERM, SIGINT). It never proxies.
 */
export async function runPrimary(configured: Readonly<MooringConfig>, log: Logger, reloadConfig?: ReloadConfig): Promise<void> {
  let config = ensureCookieSecret(configured, log);
  let shuttingDown = false;
  let readyLogged = false;
  const workers = new WorkerSupervisor(config, log);
  const store = await openStateStore(config, log);
  const agent = new NodeControlPlane({ store, config, log, workers: workerLink(workers) });
  await agent.start();
  cluster.on('message', (worker, message: WorkerToPrimary) => {
    switch (message?.type) {
      case 'ready-for-state': // a new worker gets the current state before it accepts its first connection
        for (const snapshot of snapshotMessages(agent.snapshot())) workers.send(worker.id, snapshot);
        break;
      case 'sessions':
        agent.sessionsReported(worker.id, message.opened, message.closed);
        break;
      case 'backend-failed':
        agent.backendFailed(message.backend);
        break;
    }
  });
  cluster.on('exit', (worker) => agent.workerExited(worker.id));

  const admin = createAdminServer(() => ({ listeningWorkers: workers.listeningCount, shuttingDown, degraded: agent.degraded }));
  admin.listen(config.admin.port, config.admin.host);
  await once(admin, 'listening');
  const adminAddress = admin.address() as AddressInfo;

  cluster.on('listening', (worker, address) => {
    log.info({ workerId: worker.id, workerPid: worker.process.pid }, 'worker ready');
    if (readyLogged || workers.listeningCount < config.workers) return;
    readyLogged = true;
    log.info({ listen: { host: config.listen.host, port: address.port }, admin: { host: adminAddress.address, port: adminAddress.port }, workers: config.workers, scheduling: config.scheduling }, 'node ready');
  });

  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    // /readyz fails first; then the workers stop accepting; live WebSockets are closed gently,
    // paced, until the deadline; then the node leaves the shared state.
    shuttingDown = true;
    log.info({ signal, deadlineMs: config.shutdownDeadline, closeRate: config.closeRate, live: agent.liveSessions() }, 'shutting down');
    agent.beginShutdown(config.closeRate, config.closeCode);
    await workers.stopAll(config.shutdownDeadline, config.closeCode);
    await agent.close();
    admin.close();
    log.info('node stopped');
    log.flush?.();
    process.exit(0);
  };
  let reloading = Promise.resolve();
  const reload = (): void => {
    reloading = reloading.then(async () => {
      if (shuttingDown) return;
      if (!reloadConfig) return void log.warn('SIGHUP: no configuration source to reload from, ignoring');
      try {
        const raw = reloadConfig();
        // A generated cookie secret must survive the reload, or every issued cookie breaks.
        config = ensureCookieSecret(raw.cookieSecret ? raw : Object.freeze({ ...raw, cookieSecret: config.cookieSecret }), log);
        log.info({ workers: config.workers }, 'SIGHUP: configuration reloaded, replacing workers one at a time');
        await agent.reconfigure(config);
        await workers.reload(config);
      } catch (err) {
        log.error({ err }, 'SIGHUP: reload failed, keeping the running configuration');
      }
    });
  };
  // The primary holds no connections, but its death takes every worker's with it: a bug here is
  // logged loudly and survived rather than turned into an outage.
  process.on('uncaughtException', (err) => log.fatal({ err }, 'uncaught exception in the primary; carrying on so the workers keep their connections'));
  process.on('unhandledRejection', (err) => log.fatal({ err }, 'unhandled rejection in the primary; carrying on'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', reload);

  log.info({ workers: config.workers, listen: formatHostPort(config.listen), scheduling: config.scheduling }, 'starting workers');
  workers.startAll();
}
