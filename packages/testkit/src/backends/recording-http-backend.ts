import { createServer, type IncomingHttpHeaders } from 'node:http';
import { listen } from '../net/listen.js';
import { closeServer, trackSockets } from '../net/socket-tracker.js';

/** One request exactly as the backend's HTTP parser understood it. */
export interface ParsedRequest {
  /** 1, 2, … in the order the backend parsed them. */
  readonly n: number;
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  /** Header names in the order they arrived (lower case), from `rawHeaders`. */
  readonly headerOrder: readonly string[];
  readonly body: string;
  /** Local port of the backend connection's peer: requests on one pooled connection share it. */
  readonly connectionPort: number;
}

/** A keep-alive HTTP backend that records every request it parses. */
export interface RecordingHttpBackend {
  readonly url: string;
  readonly port: number;
  /** Every request parsed so far (live array). */
  readonly requests: ParsedRequest[];
  close(): Promise<void>;
}

/**
 * Starts an HTTP backend on 127.0.0.1 that keeps connections alive and answers every request
 * with a JSON body naming it (`{ n, method, url, bodyLength }`, always with a Content-Length),
 * so that a proxy test can tell which answer belongs to which request. A request the proxy
 * never routed (a smuggled one) shows up in `requests` and its answer carries its own url.
 */
export async function startRecordingHttpBackend(): Promise<RecordingHttpBackend> {
  const requests: ParsedRequest[] = [];
  const server = createServer({ keepAliveTimeout: 30_000, requestTimeout: 0 });
  const sockets = trackSockets(server);
  server.on('request', (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('latin1');
      const headerOrder = req.rawHeaders.filter((_, index) => index % 2 === 0).map((name) => name.toLowerCase());
      const record: ParsedRequest = {
        n: requests.length + 1,
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        headerOrder,
        body,
        connectionPort: req.socket.remotePort ?? 0,
      };
      requests.push(record);
      const text = JSON.stringify({ n: record.n, method: record.method, url: record.url, bodyLength: body.length });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
      res.end(text);
    });
  });
  const port = await listen(server, 0);
  return { url: `http://127.0.0.1:${port}`, port, requests, close: () => closeServer(server, sockets) };
}
