import type { ClientRequest, IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { WebSocket, type RawData } from 'ws';
import { MessageQueue } from './message-queue.js';
import { UnexpectedResponseError } from './unexpected-response-error.js';

/** Options for {@link openRecordingClient}. */
export interface RecordingClientOptions {
  /** Extra handshake request headers. */
  headers?: Record<string, string>;
  /** Offer permessage-deflate; default true (as browsers do). */
  perMessageDeflate?: boolean;
  /** `Origin` header value. */
  origin?: string;
  /** `Sec-WebSocket-Protocol` offers. */
  protocols?: string | string[];
  /** Handshake timeout; default 5000 ms. */
  handshakeTimeoutMs?: number;
}

/** A message as received: text frames as strings, binary frames as Buffers. */
export type RecordedMessage = string | Buffer;

/** Close code and reason exactly as received (1006 when the connection dropped). */
export interface CloseInfo {
  code: number;
  reason: string;
}

/** An open WebSocket that records everything it receives. */
export interface RecordingClient {
  ws: WebSocket;
  /** Every message received, in order. */
  messages: RecordedMessage[];
  /** Headers of the 101 response. */
  upgradeHeaders: IncomingHttpHeaders;
  /** Errors emitted after the connection opened (the close still resolves `closed`). */
  errors: Error[];
  /** Resolves when the connection closes, however it closes. */
  closed: Promise<CloseInfo>;
  /** Sends text (string) or binary (Buffer); resolves once written. */
  send(data: string | Buffer): Promise<void>;
  /** The next message received from now on. Default timeout 5000 ms. */
  nextMessage(timeoutMs?: number): Promise<RecordedMessage>;
  /** Sends and awaits the next message (an echo's reply). */
  request(data: string | Buffer, timeoutMs?: number): Promise<RecordedMessage>;
  /** Starts the closing handshake and resolves with what the peer answered. */
  close(code?: number, reason?: string): Promise<CloseInfo>;
}

/**
 * Opens a `ws` client and resolves once the connection is open. Rejects with
 * {@link UnexpectedResponseError} (status, headers, body) on a non-101 answer,
 * or with the socket error (ECONNREFUSED, ECONNRESET...) otherwise.
 */
export async function openRecordingClient(url: string, options: RecordingClientOptions = {}): Promise<RecordingClient> {
  const ws = new WebSocket(url, options.protocols, {
    headers: options.headers,
    origin: options.origin,
    perMessageDeflate: options.perMessageDeflate ?? true,
    handshakeTimeout: options.handshakeTimeoutMs ?? 5000,
    maxPayload: 64 * 1024 * 1024,
  });
  const client = record(ws);
  await waitForOpen(ws);
  return client;
}

function record(ws: WebSocket): RecordingClient {
  const messages: RecordedMessage[] = [];
  const errors: Error[] = [];
  const queue = new MessageQueue<RecordedMessage>();
  const client: RecordingClient = {
    ws,
    messages,
    upgradeHeaders: {},
    errors,
    closed: new Promise<CloseInfo>((resolve) => {
      ws.once('close', (code: number, reason: Buffer) => {
        queue.close(`connection closed (${code})`);
        resolve({ code, reason: reason.toString('utf8') });
      });
    }),
    send: (data) => send(ws, data),
    nextMessage: (timeoutMs = 5000) => queue.next(timeoutMs),
    async request(data, timeoutMs = 5000) {
      const reply = queue.next(timeoutMs);
      // If send fails, the reply waiter still settles later; never leave it unhandled.
      reply.catch(() => undefined);
      await send(ws, data);
      return reply;
    },
    close(code, reason) {
      if (ws.readyState !== WebSocket.CLOSED) ws.close(code, reason);
      return client.closed;
    },
  };
  ws.on('upgrade', (res: IncomingMessage) => (client.upgradeHeaders = res.headers));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const message = isBinary ? toBuffer(data) : toBuffer(data).toString('utf8');
    messages.push(message);
    queue.push(message);
  });
  ws.on('error', (err: Error) => errors.push(err));
  return client;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

function send(ws: WebSocket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => ws.send(data, (err?: Error) => (err ? reject(err) : resolve())));
}

function waitForOpen(ws: WebSocket): Promise<void> {
  return new Promise((resolve, reject) => {
    let settled = false;
    const settle = (err?: Error): void => {
      if (settled) return;
      settled = true;
      if (err) reject(err);
      else resolve();
    };
    ws.once('open', () => settle());
    ws.once('error', (err: Error) => settle(err));
    ws.once('unexpected-response', (req: ClientRequest, res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', (err: Error) => settle(err));
      res.once('end', () => {
        settle(new UnexpectedResponseError(res.statusCode ?? 0, res.headers, Buffer.concat(chunks).toString('utf8')));
        // We took over the response from ws; abort so `closed` resolves (1006).
        ws.terminate();
        req.destroy();
      });
    });
  });
}
