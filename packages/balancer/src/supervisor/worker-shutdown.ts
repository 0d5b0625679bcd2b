import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { ProxyServer } from '../proxy/proxy-server.js';

/**
 * Stops a worker gracefully: it stops accepting at once; WebSockets may end on their own (or be
 * closed, paced, at the primary's request) until the deadline, when the rest are closed gently;
 * HTTP requests in flight may finish until the deadline too. Then everything left is cut.
 */
export async function shutdownWorker(proxy: ProxyServer, log: Logger, deadlineMs: number, closeCode: number): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  const remaining = (): number => Math.max(0, deadline - Date.now());
  const closed = proxy.stopAccepting();
  while (proxy.sessions.size > 0 && remaining() > 0) await delay(Math.min(100, Math.max(1, remaining())));
  if (proxy.sessions.size > 0) {
    log.warn({ remaining: proxy.sessions.size }, 'shutdown deadline reached, closing the remaining websockets');
    await proxy.closeAll(closeCode);
  }
  // The server reports closed once its last connection (an HTTP request in flight) is done.
  const ac = new AbortController();
  await Promise.race([closed, delay(remaining(), undefined, { signal: ac.signal }).catch(() => undefined)]);
  ac.abort();
  proxy.terminateAll();
}
