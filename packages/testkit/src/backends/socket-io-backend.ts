import { createServer } from 'node:http';
import { Server } from 'socket.io';
import { listen } from '../net/listen.js';
import { closeServer, trackSockets } from '../net/socket-tracker.js';

/** Options for {@link startSocketIoBackend}. */
export interface SocketIoBackendOptions {
  /** Reported in every `echo` ack and in the `X-Backend` response header. */
  name: string;
}

/** The ack of an `echo` event. */
export interface SocketIoEchoAck {
  backend: string;
  payload: unknown;
}

/** A running socket.io backend. */
export interface SocketIoBackend {
  readonly name: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  /** socket.io sockets connected right now (default namespace). */
  readonly connectionCount: number;
  /** Disconnects every client, stops listening and destroys remaining connections. */
  close(): Promise<void>;
}

/**
 * Starts a real socket.io 4 server (no Redis adapter, so long-polling clients
 * only work when the balancer keeps them sticky) answering `echo` with an ack
 * `{ backend, payload }`.
 */
export async function startSocketIoBackend(options: SocketIoBackendOptions): Promise<SocketIoBackend> {
  const httpServer = createServer();
  const sockets = trackSockets(httpServer);
  const io = new Server(httpServer);
  // Name the backend on every engine.io response (polling and the 101) so a
  // test can see where each request of a session landed.
  io.engine.on('headers', (headers: Record<string, string>) => {
    headers['X-Backend'] = options.name;
  });
  io.on('connection', (socket) => {
    socket.on('echo', (payload: unknown, ack?: (reply: SocketIoEchoAck) => void) => {
      if (typeof ack === 'function') ack({ backend: options.name, payload });
    });
  });
  const port = await listen(httpServer, 0);
  return {
    name: options.name,
    url: `http://127.0.0.1:${port}`,
    port,
    get connectionCount() {
      return io.of('/').sockets.size;
    },
    async close() {
      io.disconnectSockets(true);
      io.engine.close();
      await closeServer(httpServer, sockets);
    },
  };
}
