import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SessionRouter } from '../../routing/session-router.js';
import type { DataPlaneMetrics } from '../data-plane-metrics.js';
import { clientAddressOf, setForwardedHeaders } from '../forwarded-headers.js';
import { isOriginForm } from '../websocket/upgrade-validation.js';
import { stripHopByHopHeaders } from './hop-by-hop.js';
import { forwardHttp, refuseRequest, servedBackend, type HttpForwardingContext } from './http-forwarding.js';

/** What the request handler needs from its worker. */
export interface RequestHandlerDeps {
  readonly router: SessionRouter;
  readonly trusted: (address: string | undefined) => boolean;
  readonly forwarding: HttpForwardingContext;
  readonly metrics: DataPlaneMetrics;
}

/**
 * The server's `request` listener: refuses what a reverse proxy must not serve, cleans the
 * headers (hop-by-hop, forwarding), routes, and forwards; every answer is counted. The headers
 * go to undici in the client's order, Host first.
 */
export function createRequestHandler(deps: RequestHandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  const { router, trusted, forwarding, metrics } = deps;
  return (req, res) => {
    const startedAt = performance.now();
    res.once('finish', () =>
      metrics.httpAnswered(servedBackend(req), res.statusCode, (performance.now() - startedAt) / 1000),
    );
    if (!forwarding.accepting()) res.shouldKeepAlive = false;
    if (!isOriginForm(req.url))
      return refuseRequest(res, 'MOORING_ERR_REQUEST_ABSOLUTE_FORM', metrics, { connection: 'close' });
    stripHopByHopHeaders(req.headers);
    const decision = router.route({
      clientAddress: clientAddressOf(req, trusted),
      headers: req.headers,
      url: req.url ?? '/',
    });
    metrics.routed(decision.route);
    setForwardedHeaders(req, trusted);
    forwardHttp(req, res, decision, forwarding);
  };
}
