import type { ClientRequest } from 'node:http';
import { connect, type Socket } from 'node:net';

/**
 * Errors that mean the backend never took the connection, so another backend may be tried. A
 * name that does not resolve (ENOTFOUND, EAI_AGAIN: a deleted DNS record, a resolver outage) is
 * one too: nothing was sent.
 */
const connectFailureCodes = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EAI_FAIL',
]);

/** Whether an error from a backend connection happened before it took the request. */
export function isConnectFailure(err: unknown): boolean {
  return connectFailureCodes.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/**
 * Opens a TCP connection to a backend, failing with ETIMEDOUT after `timeoutMs`. WebSocket
 * handshakes connect first and only then hand the socket to http-proxy: its ws path ends the
 * client socket on any backend error, so a refused backend could not be failed over otherwise.
 */
export function connectToBackend(target: URL, timeoutMs: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: Number(target.port || 80),
      noDelay: true,
    });
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error(`connect to ${target.host} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      clearTimeout(timer);
      reject(err);
    };
    socket.once('error', onError);
  });
}

/**
 * An agent-like object (anything with `addRequest` will do for ClientRequest) that hands the
 * request one already-connected socket. Lighter than an http.Agent per handshake.
 */
export function preconnectedAgent(socket: Socket): { addRequest(req: ClientRequest): void } {
  return {
    addRequest(req: ClientRequest): void {
      (req as ClientRequest & { onSocket(socket: Socket): void }).onSocket(socket);
    },
  };
}
