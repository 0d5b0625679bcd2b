import type { ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { STATUS_CODES } from 'node:http';
import { errorCodes, type HttpErrorCode } from '../core/error-registry.js';

function errorBody(code: HttpErrorCode): string {
  return JSON.stringify({ code, message: errorCodes[code].message });
}

/**
 * Answers an HTTP request with the code's status from the registry and a JSON `{ code, message }`
 * body. If the response has already started, the only honest thing left is to cut the connection.
 */
export function sendHttpError(
  res: ServerResponse,
  code: HttpErrorCode,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = errorBody(code);
  res.writeHead(errorCodes[code].status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    ...extraHeaders,
  });
  res.end(body);
}

/**
 * Refuses an upgrade on the raw socket, as ws's abortHandshake does: a complete HTTP/1.1
 * response with `Connection: close`, then the socket is ended.
 */
export function refuseUpgrade(socket: Duplex, code: HttpErrorCode, extraHeaders: Record<string, string> = {}): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const { status } = errorCodes[code];
  const body = errorBody(code);
  const headers = {
    'Content-Type': 'application/json',
    'Content-Length': String(Buffer.byteLength(body)),
    Connection: 'close',
    ...extraHeaders,
  };
  const head = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n${head}\r\n${body}`);
}
