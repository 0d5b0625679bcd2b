import { STATUS_CODES, type IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/** Headers that describe the backend connection's framing, not the response we re-frame. */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
]);

/**
 * Relays a backend's refusal of a WebSocket upgrade (any status but 101) to the client as a
 * well-formed HTTP/1.1 response. Node has already removed the chunked framing from `res`, so
 * the body is sent with its Content-Length when the backend gave one, else delimited by closing
 * the connection; either way `Connection: close`, because the client's socket is spent.
 */
export function writeNon101Response(res: IncomingMessage, socket: Duplex, done: () => void): void {
  const status = res.statusCode ?? 502;
  const lines = [`HTTP/1.1 ${status} ${res.statusMessage || STATUS_CODES[status] || ''}`];
  for (let i = 0; i < res.rawHeaders.length; i += 2) {
    const name = res.rawHeaders[i]!;
    if (!hopByHop.has(name.toLowerCase())) lines.push(`${name}: ${res.rawHeaders[i + 1]}`);
  }
  lines.push('Connection: close');
  if (!socket.writable) {
    res.resume();
    done();
    return;
  }
  socket.write(`${lines.join('\r\n')}\r\n\r\n`);
  res.pipe(socket);
  res.once('end', done);
  res.once('error', () => {
    socket.destroy();
    done();
  });
}
