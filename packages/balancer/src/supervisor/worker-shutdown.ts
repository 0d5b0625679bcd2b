import type { Logger } from 'pino';
import type { ProxyServer } from '../proxy/proxy-server.js';

/**
 * Stops a worker gracefully: it stops accepting at once; WebSockets may end on their own (or be
 * closed, paced, at the primary's request) until the deadline, when the rest are closed gently;
 * HTTP requests in flight may finish until the deadline too. Then everything left is cut.
 * With `handOver`, the movable WebSockets go to the successor first (SIGHUP).
 * Everything is awaited: the sessions draining, the server closing, or the deadline.
 */
export async function shutdownWorker(
  proxy: ProxyServer,
  log: Logger,
  deadlineMs: number,
  closeCode: number,
  handOver?: () => Promise<unknown>,
): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
  try {
    proxy.stopAccepting();
    // A retiring worker (SIGHUP) first hands what can move to its successor; the rest waits here.
    if (handOver) await Promise.race([handOver(), deadline]);
    if ((await Promise.race([proxy.sessionsDrained(), deadline])) === 'deadline' && proxy.sessions.size > 0) {
      log.warn({ remaining: proxy.sessions.size }, 'shutdown deadline reached, closing the remaining websockets');
      await proxy.close(closeCode);
    }
    // The server reports closed once its last connection (an HTTP request in flight) is done.
    await Promise.race([proxy.connectionsClosed(), deadline]);
  } finally {
    clearTimeout(timer);
    proxy.destroy();
  }
}
