import { once } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';

/** One request head as the scripted backend read it. */
export interface ScriptedRequest {
  readonly method: string;
  readonly path: string;
  /** Header lines as received, in order. */
  readonly head: string;
  /** Which of the backend's TCP connections it came on (1, 2, …). */
  readonly connection: number;
}

/** What the backend does with a request: write these bytes (then keep the connection), or its own thing. */
export type Script = string | Buffer | ((socket: Socket, request: ScriptedRequest) => void);

/**
 * A backend that answers each request path with bytes written verbatim to its socket: hostile
 * responses (broken framing, header injection, oversized heads) that no HTTP server library
 * would produce. Request heads are read up to CRLF CRLF; the scripted paths take no body.
 */
export interface ScriptedBackend {
  readonly url: string;
  readonly port: number;
  readonly requests: ScriptedRequest[];
  /** TCP connections accepted so far. */
  readonly connections: number;
  script(path: string, answer: Script): void;
  close(): Promise<void>;
}

export async function startScriptedBackend(): Promise<ScriptedBackend> {
  const scripts = new Map<string, Script>();
  const requests: ScriptedRequest[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server: Server = createServer((socket) => {
    const connection = ++connections;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.on('data', (chunk: Buffer) => {
      buffered += chunk.toString('latin1');
      for (let end = buffered.indexOf('\r\n\r\n'); end >= 0; end = buffered.indexOf('\r\n\r\n')) {
        const head = buffered.slice(0, end);
        buffered = buffered.slice(end + 4);
        const [method = '', path = ''] = head.split(' ');
        const request = { method, path, head, connection };
        requests.push(request);
        const answer = scripts.get(path) ?? 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n';
        if (typeof answer === 'function') answer(socket, request);
        else socket.write(answer);
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    requests,
    get connections() {
      return connections;
    },
    script: (path, answer) => void scripts.set(path, answer),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}
