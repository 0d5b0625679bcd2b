import { createServer } from 'node:net';
import { RESERVED_REDIS_PORT } from '../net/free-port.js';
import { TestkitError } from '../errors/testkit-error.js';

/** Redis Cluster's bus listens on the client port plus this. */
export const CLUSTER_BUS_OFFSET = 10_000;

/**
 * A port whose cluster-bus port (port + 10000) is free too. Both are probed by listening; the
 * range keeps the bus port under 65536 and the client port out of the kernel's ephemeral range.
 * Another process may still take one before redis binds it: callers retry on a start failure.
 */
export async function findClusterPort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    if (port === RESERVED_REDIS_PORT) continue;
    if ((await isFree(port)) && (await isFree(port + CLUSTER_BUS_OFFSET))) return port;
  }
  throw new TestkitError('TESTKIT_ERR_REDIS_START', 'found no free pair of ports for a Redis Cluster node');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}
