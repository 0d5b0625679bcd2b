import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { createAdminServer } from '../admin/admin-server.js';
import { ensureCookieSecret } from '../config/ensure-cookie-secret.js';
import { formatHostPort } from '../config/host-port.js';
import type { MooringConfig } from '../config/schema.js';
import { respawnDelay, stableLifetimeMs } from './respawn-backoff.js';
import { NodeStateAgent } from './node-state-agent.js';
import { openStateStore } from './open-state-store.js';
import { workerConfigEnv, type PrimaryToWorker, type WorkerToPrimary } from './worker-messages.js';

const workerEntry = fileURLToPath(new URL('./worker-main.js', import.meta.url));
/** Extra time a worker gets after the shutdown deadline before it is killed. */
const killGraceMs = 5_000;

/**
 * Runs the primary of a node: forks the workers, replaces any that dies (leaving the others and
 * their connections alone), serves the admin endpoints, and orchestrates shutdown on SIGTERM.
 * The primary never proxies.
 */
export async function runPrimary(configured: Readonly<MooringConfig>, log: Logger): Promise<void> {
  const config = ensureCookieSecret(configured, log);
  cluster.schedulingPolicy = config.scheduling === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
  cluster.setupPrimary({ exec: workerEntry });
  const listening = new Set<number>();
  const startedAt = new Map<number, number>();
  let quickDeaths = 0;
  let shuttingDown = false;
  let listenPort: number | undefined;

  const broadcast = (message: PrimaryToWorker): void => {
    for (const worker of Object.values(cluster.workers ?? {})) if (worker?.isConnected()) worker.send(message);
  };
  const agent = new NodeStateAgent({ store: await openStateStore(config, log), config, log, send: broadcast });
  await agent.start();
  cluster.on('message', (worker, message: WorkerToPrimary) => {
    // A new worker gets the current state before it accepts its first connection.
    if (message?.type === 'ready-for-state') agent.snapshot().forEach((snapshot) => worker.send(snapshot));
    else agent.onWorkerMessage(worker.id, message);
  });

  const admin = createAdminServer(() => ({ listeningWorkers: listening.size, shuttingDown, degraded: agent.degraded }));
  admin.listen(config.admin.port, config.admin.host);
  await once(admin, 'listening');
  const adminAddress = admin.address() as import('node:net').AddressInfo;

  const fork = (): Worker => {
    const worker = cluster.fork({ [workerConfigEnv]: JSON.stringify(config) });
    startedAt.set(worker.id, Date.now());
    return worker;
  };

  cluster.on('listening', (worker, address) => {
    listening.add(worker.id);
    if (listenPort === undefined) listenPort = address.port;
    log.info({ workerId: worker.id, workerPid: worker.process.pid }, 'worker ready');
    if (listening.size === config.workers && !readyLogged) {
      readyLogged = true;
      log.info(
        { listen: { host: config.listen.host, port: listenPort }, admin: { host: adminAddress.address, port: adminAddress.port }, workers: config.workers, scheduling: config.scheduling },
        'node ready',
      );
    }
  });
  let readyLogged = false;

  cluster.on('exit', (worker, code, signal) => {
    listening.delete(worker.id);
    agent.onWorkerExit(worker.id);
    const lifetime = Date.now() - (startedAt.get(worker.id) ?? Date.now());
    startedAt.delete(worker.id);
    if (shuttingDown) return;
    quickDeaths = lifetime < stableLifetimeMs ? quickDeaths + 1 : 0;
    const delayMs = respawnDelay(lifetime, quickDeaths - 1);
    log.warn({ workerId: worker.id, workerPid: worker.process.pid, code, signal, lifetimeMs: lifetime, respawnInMs: delayMs }, 'worker exited, replacing it');
    setTimeout(() => {
      if (!shuttingDown) fork();
    }, delayMs);
  });

  const shutdown = async (signal: string): Promise<void> => {
    if (shuttingDown) return;
    shuttingDown = true;
    log.info({ signal, deadlineMs: config.shutdownDeadline }, 'shutting down');
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    const message: PrimaryToWorker = { type: 'shutdown', deadlineMs: config.shutdownDeadline };
    for (const worker of workers) worker.send(message);
    const killer = setTimeout(() => workers.forEach((worker) => worker.process.kill('SIGKILL')), config.shutdownDeadline + killGraceMs);
    await Promise.all(workers.map((worker) => (worker.isDead() ? undefined : once(worker, 'exit'))));
    clearTimeout(killer);
    await agent.stop();
    admin.close();
    log.info('node stopped');
    log.flush?.();
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGHUP', () => log.warn('SIGHUP received: configuration reload is not supported yet, ignoring'));

  log.info({ workers: config.workers, listen: formatHostPort(config.listen), scheduling: config.scheduling }, 'starting workers');
  for (let i = 0; i < config.workers; i++) fork();
}
