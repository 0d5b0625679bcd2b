import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';

/**
 * Answers an upgrade request with a well-formed `HTTP/1.1 403 Forbidden`
 * whose JSON body is sent in two chunks (RFC 9112 §7.1), then closes. A proxy
 * must relay such a non-101 answer intact, chunk framing included.
 */
export function writeChunkedRefusal(socket: Duplex, backend: string, req: IncomingMessage): void {
  const body = JSON.stringify({ backend, error: 'forbidden', url: req.url ?? '' });
  const half = Math.floor(body.length / 2);
  const chunks = [body.slice(0, half), body.slice(half)].map(
    (chunk) => `${Buffer.byteLength(chunk).toString(16)}\r\n${chunk}\r\n`,
  );
  const head = [
    'HTTP/1.1 403 Forbidden',
    'Content-Type: application/json',
    'Transfer-Encoding: chunked',
    `X-Backend: ${backend}`,
    'Connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${chunks.join('')}0\r\n\r\n`);
}
