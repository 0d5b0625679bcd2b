import type { ClientRequest } from 'node:http';
import { connect, Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';
import type { BackendEndpoint } from './backend-target.js';
import { Deadline, type DeadlineWheel } from './deadline-wheel.js';

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

/**
 * Errors of a TLS handshake with an `https://` backend: its certificate does not verify (unknown
 * CA, expired, wrong name) or it does not speak TLS. Nothing was sent either: another backend may
 * be tried, and the failure is reported as MOORING_ERR_BACKEND_TLS when none is left.
 */
const tlsFailureCodes = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** Whether an error is a failed TLS handshake with a backend (see {@link tlsFailureCodes}). */
export function isTlsFailure(err: unknown): boolean {
  return tlsFailureCodes.has((err as NodeJS.ErrnoException | undefined)?.code ?? '');
}

/** Whether an error from a backend connection happened before it took the request. */
export function isConnectFailure(err: unknown): boolean {
  return connectFailureCodes.has((err as NodeJS.ErrnoException | undefined)?.code ?? '') || isTlsFailure(err);
}

/**
 * Opens a connection to a backend, TCP for `http://` and TLS for `https://` (verified against
 * `ca`, or Node's CAs, with the URL's host as SNI name), failing with ETIMEDOUT after
 * `timeoutMs` on the worker's deadline wheel. WebSocket handshakes connect first and only then
 * hand the socket to http-proxy: its ws path ends the client socket on any backend error, so a
 * refused backend could not be failed over otherwise.
 */
export function connectToBackend(
  target: BackendEndpoint,
  timeoutMs: number,
  deadlines: DeadlineWheel,
  ca?: string,
): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const { host, port, secure } = target;
    const socket = secure
      ? connectTls({
          host,
          port,
          servername: target.servername,
          ALPNProtocols: ['http/1.1'],
          ...(ca === undefined ? {} : { ca }),
        })
      : connect({ host, port, noDelay: true });
    if (secure) socket.setNoDelay(true);
    const deadline = new Deadline({ socket, target }, connectTimedOut);
    deadlines.arm(deadline, timeoutMs);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      deadlines.disarm(deadline);
      socket.removeListener('error', onError);
      resolve(socket);
    });
    const onError = (err: Error): void => {
      deadlines.disarm(deadline);
      reject(err);
    };
    socket.once('error', onError);
  });
}

function connectTimedOut({ socket, target }: { socket: Socket; target: BackendEndpoint }): void {
  socket.destroy(Object.assign(new Error(`connect to ${target.display} timed out`), { code: 'ETIMEDOUT' }));
}

/**
 * An agent-like object (anything with `addRequest` will do for ClientRequest) that hands a
 * request the socket it was given just before: one for the worker, instead of an agent per
 * handshake. ClientRequest calls `addRequest` synchronously from its constructor, which
 * http-proxy runs inside `proxy.ws()`, so {@link handOver} around that call pairs each request
 * with its socket.
 */
export class SocketHandoff {
  #next: Socket | undefined;

  /** Runs `send` (which makes exactly one ClientRequest through this agent) on `socket`. */
  handOver(socket: Socket, send: () => void): void {
    this.#next = socket;
    try {
      send();
    } finally {
      this.#next = undefined;
    }
  }

  addRequest(req: ClientRequest): void {
    const socket = this.#next;
    this.#next = undefined;
    const request = req as ClientRequest & { onSocket(socket: Socket, err?: Error): void };
    if (socket) return request.onSocket(socket);
    // A programming error, never a request sent elsewhere: it fails as a connect failure would.
    const orphan = new Socket();
    request.onSocket(orphan, new Error('a request reached the hand-off agent without a socket'));
    orphan.destroy();
  }
}
