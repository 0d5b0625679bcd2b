import { request as httpRequest, type Agent, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';

/** Options for {@link requestText}. */
export interface RequestTextOptions {
  method?: string;
  headers?: OutgoingHttpHeaders;
  body?: string | Buffer;
  /** Aborts the request (e.g. `AbortSignal.timeout(300)`). */
  signal?: AbortSignal;
  /** Default false: a fresh connection per request, so tests do not share pooled sockets. */
  keepAlive?: boolean;
  /** An agent of the test's own (a keep-alive connection it follows); overrides `keepAlive`. */
  agent?: Agent;
}

/** A complete HTTP response with its body as text. */
export interface TextResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One HTTP request with node:http. Unlike `fetch`, its errors keep their
 * socket-level `code` (ECONNREFUSED, ECONNRESET) at the top level, which is
 * what failure tests assert on.
 */
export function requestText(url: string, options: RequestTextOptions = {}): Promise<TextResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, {
      method: options.method ?? 'GET',
      headers: options.headers,
      signal: options.signal,
      agent: options.agent ?? (options.keepAlive ? undefined : false),
    });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('error', reject);
      res.once('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') });
      });
    });
    req.end(options.body);
  });
}
