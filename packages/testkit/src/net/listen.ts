import type { Server } from 'node:net';

/**
 * Listens on `host:port` (port 0 = any free port) and resolves with the bound
 * port; rejects on EADDRINUSE and the like instead of emitting an unhandled 'error'.
 */
export function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    server.once('error', onError);
    server.listen({ host, port }, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
