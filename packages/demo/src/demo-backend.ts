import { createServer, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { renderDemoPage } from './demo-page.js';

/** A running demo backend. */
export interface DemoBackend {
  readonly name: string;
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/**
 * Starts a demo backend (on 127.0.0.1 unless `host` says otherwise, e.g. 0.0.0.0 in a
 * container): `/` serves the demo page, `/health`
 * answers 200, `/ws` greets with `{"type":"hello","backend":NAME}` and answers
 * each text message with `{"type":"echo","backend":NAME,"data":TEXT}`.
 */
export async function startDemoBackend(name: string, port = 0, host = '127.0.0.1'): Promise<DemoBackend> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/' || path === '/index.html') {
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'x-backend': name,
        'cache-control': 'no-store',
      });
      res.end(renderDemoPage(name));
    } else if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-backend': name });
      res.end(JSON.stringify({ backend: name, healthy: true }));
    } else {
      res.writeHead(404, { 'content-type': 'text/plain', 'x-backend': name });
      res.end('not found\n');
    }
  });
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: true });
  wss.on('headers', (headers: string[]) => headers.push(`X-Backend: ${name}`));
  wss.on('connection', (ws) => greetAndEcho(ws, name));
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    if (new URL(req.url ?? '/', 'http://x').pathname !== '/ws') {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
  });
  const bound = await listen(server, port, host);
  const upgraded = new Set<Socket>();
  wss.on('connection', (_ws: WebSocket, req: IncomingMessage) => {
    upgraded.add(req.socket);
    req.socket.once('close', () => upgraded.delete(req.socket));
  });
  return {
    name,
    url: `http://127.0.0.1:${bound}`,
    port: bound,
    async close() {
      for (const ws of wss.clients) ws.close(1001, 'demo backend stopping');
      wss.close();
      const closed = new Promise((resolve) => server.close(resolve));
      server.closeAllConnections();
      // Upgraded sockets are no longer the HTTP server's: a client that ignores 1001 is cut.
      for (const socket of upgraded) socket.destroy();
      await closed;
    },
  };
}

function greetAndEcho(ws: WebSocket, name: string): void {
  ws.on('error', () => undefined);
  ws.send(JSON.stringify({ type: 'hello', backend: name }));
  ws.on('message', (data: RawData, isBinary: boolean) => {
    const text = isBinary ? `(${(data as Buffer).length} binary bytes)` : String(data);
    ws.send(JSON.stringify({ type: 'echo', backend: name, data: text }));
  });
}

/** Listens and resolves with the bound port; a bind error rejects instead of being emitted. */
function listen(server: ReturnType<typeof createServer>, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}
