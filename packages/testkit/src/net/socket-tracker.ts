import type { Server, Socket } from 'node:net';

/**
 * Records every socket a server accepts until it closes, so `close()` can
 * destroy them: `server.close()` alone waits forever for a hanging or
 * upgraded connection.
 */
export function trackSockets(server: Server): Set<Socket> {
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    // A client reset must never crash a test server; the test observes it elsewhere.
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
  });
  return sockets;
}

/** Destroys every tracked socket (a crash, from the peer's point of view). */
export function destroySockets(sockets: Set<Socket>): void {
  for (const socket of sockets) socket.destroy();
}

/**
 * Stops listening, destroys the remaining connections and resolves when the
 * server has fully closed. Safe to call on a server that is not listening.
 */
export async function closeServer(server: Server, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((resolve) => {
    if (!server.listening && sockets.size === 0) resolve();
    else server.close(() => resolve());
  });
  destroySockets(sockets);
  await closed;
}
