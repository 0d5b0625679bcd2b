import cluster from 'node:cluster';
import { setTimeout as delay } from 'node:timers/promises';
import type { MooringConfig } from '../config/schema.js';
import { createLogger } from '../logging/create-logger.js';
import { createProxyServer } from '../proxy/proxy-server.js';
import { BackendPool } from '../routing/backend-pool.js';
import { workerConfigEnv, type PrimaryToWorker } from './worker-messages.js';

/**
 * Entry point of a worker process: the config comes validated from the primary (never parsed
 * again here), the proxy listens on the shared socket, and shutdown is the primary's call.
 */
function main(): void {
  const config = JSON.parse(process.env[workerConfigEnv] ?? 'null') as MooringConfig | null;
  if (!config) throw new Error(`${workerConfigEnv} is missing: workers are started by \`mooring start\``);
  const log = createLogger({ node: config.nodeId, worker: cluster.worker?.id ?? -1, level: config.logLevel });
  const pool = new BackendPool();
  pool.setBackends(config.backends);
  const proxy = createProxyServer(config, pool, log);

  process.on('uncaughtException', (err) => {
    // A bug must not leave a half-working worker behind: the primary replaces us.
    log.fatal({ err }, 'uncaught exception in worker, exiting');
    process.exit(70);
  });
  // The primary orchestrates shutdown; a signal sent to the whole process group is not ours to act on.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, () => log.debug({ signal }, 'signal left to the primary'));

  process.on('message', (message: PrimaryToWorker) => {
    if (message?.type === 'shutdown') void shutdown(message.deadlineMs);
  });

  async function shutdown(deadlineMs: number): Promise<void> {
    const closed = proxy.stopAccepting();
    const deadline = Date.now() + deadlineMs;
    while (proxy.sessions.size > 0 && Date.now() < deadline) await delay(Math.min(100, Math.max(1, deadline - Date.now())));
    if (proxy.sessions.size > 0) log.warn({ remaining: proxy.sessions.size }, 'shutdown deadline reached, closing websockets');
    proxy.terminateAll();
    await closed;
    process.exit(0);
  }

  proxy.server.listen(config.listen.port, config.listen.host, () => {
    log.info({ address: proxy.server.address() }, 'worker listening');
  });
}

main();
