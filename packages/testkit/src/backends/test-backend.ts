import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { WebSocket, WebSocketServer } from 'ws';
import { listen } from '../net/listen.js';
import { closeServer, destroySockets, trackSockets } from '../net/socket-tracker.js';
import type { BackendMode } from './backend-mode.js';
import { writeChunkedRefusal } from './chunked-refusal.js';
import { createEchoWebSocketServer } from './echo-websocket-server.js';

/** Options for {@link startTestBackend}. */
export interface TestBackendOptions {
  /** Reported in every response (`X-Backend` header, `backend` JSON field). */
  name: string;
  /** Serve HTTPS (and WebSockets over TLS) with this certificate and key (PEM); the URL is then `https://`. */
  tls?: { cert: string; key: string };
  /** Initial behaviour; default `ok`. */
  mode?: BackendMode;
}

/** JSON body of every non-health HTTP answer. */
export interface TestBackendReply {
  backend: string;
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  /** Bytes of request body received (POST echo). */
  bodyLength: number;
}

/** A running test backend. Counters are live getters. */
export interface TestBackend {
  readonly name: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  readonly mode: BackendMode;
  /** HTTP requests received in any mode, except `/health`. */
  readonly httpRequests: number;
  /** `/health` requests received in any mode. */
  readonly healthRequests: number;
  /** Upgrade requests received in any mode. */
  readonly upgradeRequests: number;
  /** WebSockets open right now. */
  readonly openWebSockets: number;
  /** WebSocket messages received, over every connection. */
  readonly messagesReceived: number;
  /** Close codes of the WebSockets that have closed, as the backend received them. */
  readonly closeCodes: readonly number[];
  /** Headers of the most recent request or upgrade. */
  readonly lastRequestHeaders: IncomingHttpHeaders | undefined;
  /** Every raw TCP socket currently open. */
  readonly sockets: ReadonlySet<Socket>;
  /** Every open WebSocket. */
  readonly webSockets: ReadonlySet<WebSocket>;
  /** Switches behaviour; resolves once listening again when leaving `refuse`. */
  setMode(mode: BackendMode): Promise<void>;
  /** Zeroes the request counters. */
  resetCounters(): void;
  /** Closes every WebSocket from the backend side; resolves when all have closed. */
  closeAllWebSockets(code?: number, reason?: string): Promise<void>;
  /** Destroys every raw socket without a close frame (a backend crash). */
  destroyAllSockets(): void;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

interface BackendState {
  name: string;
  mode: BackendMode;
  httpRequests: number;
  healthRequests: number;
  upgradeRequests: number;
  lastRequestHeaders: IncomingHttpHeaders | undefined;
  /** Answers of requests held in `hold` mode, sent when the mode changes. */
  held: (() => void)[];
  messagesReceived: number;
  closeCodes: number[];
}

/**
 * Starts an HTTP + WebSocket echo backend on 127.0.0.1 (free port) whose
 * behaviour can be switched to refuse, reset, hang or reject upgrades.
 */
export async function startTestBackend(options: TestBackendOptions): Promise<TestBackend> {
  const state: BackendState = {
    name: options.name,
    mode: 'ok',
    httpRequests: 0,
    healthRequests: 0,
    upgradeRequests: 0,
    lastRequestHeaders: undefined,
    held: [],
    messagesReceived: 0,
    closeCodes: [],
  };
  // requestTimeout 0: a `hang` backend must never answer, not even with 408.
  const server = options.tls
    ? (createHttpsServer({ requestTimeout: 0, ...options.tls }) as unknown as ReturnType<typeof createServer>)
    : createServer({ requestTimeout: 0 });
  const sockets = trackSockets(server);
  const wss = createEchoWebSocketServer(options.name);
  wss.on('connection', (ws: WebSocket) => {
    ws.on('message', () => (state.messagesReceived += 1));
    ws.on('close', (code: number) => state.closeCodes.push(code));
  });
  server.on('request', (req, res) => onRequest(state, req, res));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) =>
    onUpgrade(state, wss, req, socket, head),
  );
  const port = await listen(server, 0);
  const handle = makeHandle({ state, server, sockets, wss, port, scheme: options.tls ? 'https' : 'http' });
  await handle.setMode(options.mode ?? 'ok');
  return handle;
}

function onRequest(state: BackendState, req: IncomingMessage, res: ServerResponse): void {
  const isHealth = new URL(req.url ?? '/', 'http://x').pathname === '/health';
  if (isHealth) state.healthRequests += 1;
  else state.httpRequests += 1;
  state.lastRequestHeaders = req.headers;
  if (state.mode === 'reset') {
    req.socket.resetAndDestroy();
    return;
  }
  if (state.mode === 'hang') {
    // Drain the body so the request is fully read, then never answer.
    req.resume();
    return;
  }
  if (state.mode === 'drop') {
    req.socket.end();
    return;
  }
  if (isHealth) {
    const healthy = state.mode !== 'unhealthy';
    sendJson(res, healthy ? 200 : 503, state.name, { backend: state.name, healthy });
    req.resume();
    return;
  }
  let bodyLength = 0;
  req.on('data', (chunk: Buffer) => (bodyLength += chunk.length));
  req.on('end', () => {
    const reply: TestBackendReply = {
      backend: state.name,
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      bodyLength,
    };
    const answer = (): void => sendJson(res, 200, state.name, reply);
    if (state.mode === 'hold') state.held.push(answer);
    else answer();
  });
}

function sendJson(res: ServerResponse, status: number, backend: string, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-backend': backend,
  });
  res.end(text);
}

function onUpgrade(
  state: BackendState,
  wss: WebSocketServer,
  req: IncomingMessage,
  socket: Socket,
  head: Buffer,
): void {
  state.upgradeRequests += 1;
  state.lastRequestHeaders = req.headers;
  switch (state.mode) {
    case 'reset':
      socket.resetAndDestroy();
      return;
    case 'hang':
      // Leave the socket open and unanswered; the tracker destroys it on close().
      return;
    case 'drop':
      socket.end();
      return;
    case 'non101':
      writeChunkedRefusal(socket, state.name, req);
      return;
    default:
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  }
}

interface HandleParts {
  state: BackendState;
  server: ReturnType<typeof createServer>;
  sockets: Set<Socket>;
  wss: WebSocketServer;
  port: number;
  scheme: 'http' | 'https';
}

function makeHandle({ state, server, sockets, wss, port, scheme }: HandleParts): TestBackend {
  return {
    name: state.name,
    url: `${scheme}://127.0.0.1:${port}`,
    port,
    get mode() {
      return state.mode;
    },
    get httpRequests() {
      return state.httpRequests;
    },
    get healthRequests() {
      return state.healthRequests;
    },
    get upgradeRequests() {
      return state.upgradeRequests;
    },
    get openWebSockets() {
      return wss.clients.size;
    },
    get messagesReceived() {
      return state.messagesReceived;
    },
    get closeCodes() {
      return state.closeCodes;
    },
    get lastRequestHeaders() {
      return state.lastRequestHeaders;
    },
    sockets,
    webSockets: wss.clients,
    setMode: (mode) => applyMode(state, server, port, mode),
    resetCounters() {
      state.messagesReceived = 0;
      state.closeCodes.length = 0;
      state.httpRequests = 0;
      state.healthRequests = 0;
      state.upgradeRequests = 0;
    },
    closeAllWebSockets: (code, reason) => closeWebSockets(wss, code, reason),
    destroyAllSockets: () => destroySockets(sockets),
    async close() {
      wss.close();
      await closeServer(server, sockets);
    },
  };
}

async function applyMode(
  state: BackendState,
  server: ReturnType<typeof createServer>,
  port: number,
  mode: BackendMode,
): Promise<void> {
  state.mode = mode;
  if (mode !== 'hold') for (const answer of state.held.splice(0)) answer();
  if (mode === 'refuse' && server.listening) {
    // close() releases the listening socket at once (later connects get
    // ECONNREFUSED) and drops idle keep-alive connections, so a pooled
    // connection cannot sneak a request through; live WebSockets stay.
    server.close();
  } else if (mode !== 'refuse' && !server.listening) {
    await listen(server, port);
  }
}

async function closeWebSockets(wss: WebSocketServer, code = 1001, reason = ''): Promise<void> {
  const closing = [...wss.clients].map(
    (ws) =>
      new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(code, reason);
      }),
  );
  await Promise.all(closing);
}
