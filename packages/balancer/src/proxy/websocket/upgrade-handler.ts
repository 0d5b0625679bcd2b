import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { refuseUpgrade } from '../error-response.js';
import type { SessionRouter } from '../../routing/session-router.js';
import type { ClientLimits } from './client-limits.js';
import { clientAddressOf, plainAddress, setForwardedHeaders } from '../forwarded-headers.js';
import { headersInClientOrder } from '../outgoing-headers.js';
import type { DataPlaneMetrics } from '../data-plane-metrics.js';
import type { HttpErrorCode } from '../../core/error-registry.js';
import type { SessionRegistry } from './session-registry.js';
import { isOriginForm, validateUpgrade } from './upgrade-validation.js';
import { WebSocketSession, type SessionContext } from './websocket-session.js';

/** What the upgrade handler needs from its worker. */
export interface UpgradeHandlerDeps {
  readonly log: Logger;
  readonly router: SessionRouter;
  readonly limits: ClientLimits;
  readonly sessions: SessionRegistry;
  readonly sessionContext: SessionContext;
  readonly trusted: (address: string | undefined) => boolean;
  readonly allowedOrigins: ReadonlySet<string>;
  readonly metrics: DataPlaneMetrics;
}

/**
 * The server's `upgrade` listener: every guard that needs no backend (validation, origin, limits)
 * runs first and refuses with a proper HTTP response; then a session takes the handshake.
 */
export function createUpgradeHandler(
  deps: UpgradeHandlerDeps,
): (req: IncomingMessage, socket: Duplex, head: Buffer) => void {
  const refuse = (socket: Duplex, code: HttpErrorCode, headers: Record<string, string> = {}): void => {
    deps.metrics.refused(code);
    deps.metrics.upgrade(undefined, code);
    refuseUpgrade(socket, code, headers);
  };
  // One listener for every client socket: it stays on the socket for the tunnel's whole life.
  const onClientError = (err: Error): void => deps.log.debug({ err }, 'client socket error');
  return (req, socket, head) => {
    // First thing: a client that resets mid-handshake must never become an uncaught 'error'.
    socket.on('error', onClientError);
    if (!isOriginForm(req.url)) return refuse(socket, 'MOORING_ERR_REQUEST_ABSOLUTE_FORM');
    const invalid = validateUpgrade(req, deps.allowedOrigins);
    if (invalid)
      return refuse(
        socket,
        invalid,
        invalid === 'MOORING_ERR_UPGRADE_VERSION' ? { 'Sec-WebSocket-Version': '13' } : {},
      );
    const clientAddress = plainAddress((socket as Socket).remoteAddress);
    const admitted = deps.limits.admit(clientAddress);
    if (admitted !== 'ok') return refuse(socket, admitted, { 'Retry-After': '1' });
    const decision = deps.router.route({
      clientAddress: clientAddressOf(req, deps.trusted),
      headers: req.headers,
      url: req.url ?? '/',
      upgrade: true,
    });
    deps.metrics.routed(decision.route);
    setForwardedHeaders(req, deps.trusted);
    req.headers = headersInClientOrder(req.headers);
    const session = new WebSocketSession(req, socket as Socket, head, clientAddress, deps.sessionContext);
    deps.sessions.added(session);
    session.start(decision);
  };
}
