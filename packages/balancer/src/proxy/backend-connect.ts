import type { ClientRequest } from 'node:http';
import { connect, isIP, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

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
 * `timeoutMs`. WebSocket handshakes connect first and only then hand the socket to http-proxy:
 * its ws path ends the client socket on any backend error, so a refused backend could not be
 * failed over otherwise.
 */
export function connectToBackend(target: URL, timeoutMs: number, ca?: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const host = target.hostname.replace(/^\[|\]$/g, '');
    const secure = target.protocol === 'https:';
    const port = Number(target.port || (secure ? 443 : 80));
    const socket = secure
      ? connectTls({
          host,
          port,
          servername: isIP(host) ? undefined : host,
          ALPNProtocols: ['http/1.1'],
          ...(ca === undefined ? {} : { ca }),
        })
      : connect({ host, port, noDelay: true });
    if (secure) socket.setNoDelay(true);
    const timer = setTimeout(() => {
      socket.destroy(Object.assign(new Error(`connect to ${target.host} timed out`), { code: 'ETIMEDOUT' }));
    }, timeoutMs);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
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
