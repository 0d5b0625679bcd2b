import { connect } from 'node:net';
import { parseHttpResponse, type ParsedHttpResponse } from './http-response-parser.js';

/** Options for {@link rawExchange} and {@link rawUpgrade}. */
export interface RawExchangeOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Stop reading after this much silence; default 2000 ms. */
  silenceMs?: number;
}

/** What came back over a raw socket. */
export interface RawExchangeResult {
  raw: Buffer;
  /** True when the peer closed (FIN or reset); false when we gave up after silence. */
  closedByPeer: boolean;
}

/**
 * Opens a plain TCP socket, writes `requestText` verbatim and collects every
 * byte until the peer closes or `silenceMs` pass without data. For malformed
 * handshakes that no well-behaved client library would send.
 */
export function rawExchange(
  port: number,
  requestText: string | Buffer,
  options: RawExchangeOptions = {},
): Promise<RawExchangeResult> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: options.host ?? '127.0.0.1', port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closedByPeer: boolean): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      resolve({ raw: Buffer.concat(chunks), closedByPeer });
    };
    socket.setTimeout(options.silenceMs ?? 2000, () => finish(false));
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.once('connect', () => socket.write(requestText));
    socket.once('end', () => finish(true));
    socket.once('close', () => finish(true));
    socket.once('error', (err: NodeJS.ErrnoException) => {
      // A reset after a response still leaves a response to check.
      if (chunks.length > 0 && err.code === 'ECONNRESET') finish(true);
      else if (!settled) {
        settled = true;
        reject(err);
      }
    });
  });
}

/**
 * {@link rawExchange} followed by a strict parse: rejects with
 * TESTKIT_ERR_MALFORMED_HTTP unless the answer is one well-formed HTTP response.
 */
export async function rawUpgrade(
  port: number,
  rawRequestText: string | Buffer,
  options: RawExchangeOptions = {},
): Promise<ParsedHttpResponse> {
  const { raw } = await rawExchange(port, rawRequestText, options);
  return parseHttpResponse(raw);
}

/**
 * A valid RFC 6455 §4.1 opening handshake as raw text, to be altered by tests
 * of handshake validation. `extraHeaders` lines are appended as given.
 */
export function websocketHandshakeText(path = '/', host = '127.0.0.1', extraHeaders: string[] = []): string {
  return [
    `GET ${path} HTTP/1.1`,
    `Host: ${host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==',
    'Sec-WebSocket-Version: 13',
    ...extraHeaders,
    '',
    '',
  ].join('\r\n');
}
