import cluster from 'node:cluster';
import type { MooringConfig } from '../config/schema.js';
import { createLogger } from '../logging/create-logger.js';
import { createProxyServer } from '../proxy/proxy-server.js';
import { BackendPool } from '../routing/backend-pool.js';
import { batchedSessionReports } from './session-reports.js';
import { shutdownWorker } from './worker-shutdown.js';
import { workerConfigEnv, type PrimaryToWorker, type WorkerToPrimary } from './ipc-messages.js';

/**
 * Entry point of a worker process: the config comes validated from the primary (never parsed
 * again here), the proxy listens on the shared socket, state arrives as snapshots from the
 * primary, and shutdown is the primary's call.
 */
function main(): void {
  const parsed = JSON.parse(process.env[workerConfigEnv] ?? 'null') as MooringConfig | null;
  if (!parsed) throw new Error(`${workerConfigEnv} is missing: workers are started by \`mooring start\``);
  const config: MooringConfig = parsed;
  const workerId = cluster.worker?.id ?? -1;
  const log = createLogger({ node: config.nodeId, worker: workerId, level: config.logLevel });
  const tell = (message: WorkerToPrimary): void => {
    // The channel is gone only while the primary is dying; nothing useful to do then.
    if (process.connected) process.send?.(message);
  };
  const pool = new BackendPool({ onFailure: (backend) => tell({ type: 'backend-failed', backend }) });
  pool.setBackends(config.backends);
  const observer = batchedSessionReports(config.nodeId, workerId, tell);
  const proxy = createProxyServer(config, pool, log, observer);

  process.on('uncaughtException', (err) => {
    // A bug must not leave a half-working worker behind: the primary replaces us.
    log.fatal({ err }, 'uncaught exception in worker, exiting');
    process.exit(70);
  });
  // The primary orchestrates shutdown; a signal sent to the whole process group is not ours to act on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => log.debug({ signal }, 'signal left to the primary'));

  process.on('message', (message: PrimaryToWorker) => {
    switch (message?.type) {
      case 'shutdown':
        return void shutdown(message.deadlineMs, message.closeCode);
      case 'backends':
        pool.setBackends(message.backends);
        proxy.backendsChanged(message.backends);
        return listenOnce();
      case 'close-session':
        return void proxy.closeSession(message.id, message.code, message.reason);
      case 'counts':
        return pool.setClusterCounts(new Map(Object.entries(message.total)));
      case 'health':
        return pool.setUnhealthy(new Set(message.unhealthy));
    }
  });

  let stopping = false;
  async function shutdown(deadlineMs: number, closeCode: number): Promise<void> {
    if (stopping) return;
    stopping = true;
    await shutdownWorker(proxy, log, deadlineMs, closeCode);
    log.flush?.();
    process.exit(0);
  }

  // Listen only with the current membership in hand, so that a new worker never answers 503
  // for backends the node already knows from the registry.
  let listening = false;
  function listenOnce(): void {
    if (listening) return;
    listening = true;
    proxy.server.listen(config.listen.port, config.listen.host, () => {
      log.info({ address: proxy.server.address() }, 'worker listening');
    });
  }
  tell({ type: 'ready-for-state' });
}

main();
