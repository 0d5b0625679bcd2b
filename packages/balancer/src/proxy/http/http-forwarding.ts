import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RoutingDecision } from '../../routing/session-router.js';
import { HttpExchange, type HttpForwardingContext, type RequestBody } from './http-exchange.js';

export { refuseRequest, servedBackend, type HttpForwardingContext } from './http-exchange.js';

/**
 * RFC 9112 §6.3: a request has a body when it says Transfer-Encoding or a non-zero Content-Length.
 * Without one it can be sent again to another backend: nothing of it was consumed. Requests with
 * a body are not replayed (that would need buffering them whole).
 *
 * A chunked body goes as an iterable: handed the stream, undici would send a body already read
 * in full (a small one, in one packet with its head) with a Content-Length of its own choosing.
 */
function requestBody(req: IncomingMessage): RequestBody {
  if (req.headers['transfer-encoding'] !== undefined)
    return { [Symbol.asyncIterator]: () => req[Symbol.asyncIterator]() };
  const length = req.headers['content-length'];
  return length !== undefined && length !== '0' ? req : null;
}

/**
 * Forwards a request to the candidates in order through undici: a backend that refuses the
 * connection is skipped for the next, so a request without a body still succeeds while any
 * backend answers. The body keeps the client's framing (RFC 9112 §6): a Content-Length stays,
 * and a chunked body (decoded by Node's parser) is chunked again by undici, so no body can be
 * read by the backend as a request of its own. Node has already answered `Expect: 100-continue`
 * (it sends the 100 itself when nobody listens for `checkContinue`), so the backend is not asked.
 */
export function forwardHttp(
  req: IncomingMessage,
  res: ServerResponse,
  decision: RoutingDecision,
  ctx: HttpForwardingContext,
): void {
  const body = requestBody(req);
  const headers = req.headers;
  delete headers['transfer-encoding'];
  delete headers.expect;
  new HttpExchange(req, res, decision, ctx, body).start();
}
