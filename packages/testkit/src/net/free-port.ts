import { createServer } from 'node:net';

/** Redis' default port: a developer's own Redis may be on it, so the harness never uses it. */
export const RESERVED_REDIS_PORT = 6379;

/**
 * Asks the kernel for a free TCP port on 127.0.0.1 by listening on port 0.
 * Only for programs that cannot listen on port 0 themselves (redis-server):
 * another process could take the port before it is reused, so callers retry.
 */
export async function findFreePort(host = '127.0.0.1'): Promise<number> {
  for (;;) {
    const port = await listenAndRelease(host);
    if (port !== RESERVED_REDIS_PORT) return port;
  }
}

function listenAndRelease(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen({ host, port: 0, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
