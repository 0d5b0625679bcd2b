import { connect, type Socket } from 'node:net';
import { once } from 'node:events';

/** One response read off a raw connection. */
export interface RawResponse {
  readonly status: number;
  /** Header names in lower case; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * A client connection that writes requests verbatim and reads responses one at a time, for
 * tests of framing that no well-behaved client would send. Responses must be framed by
 * Content-Length (or have no body); `readResponse('HEAD')` expects no body.
 */
export class RawHttpConnection {
  readonly #socket: Socket;
  #buffer = Buffer.alloc(0);
  #ended = false;
  #waiter: (() => void) | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.#buffer = Buffer.concat([this.#buffer, chunk]);
      this.#waiter?.();
    });
    const ended = (): void => {
      this.#ended = true;
      this.#waiter?.();
    };
    socket.on('end', ended);
    socket.on('close', ended);
    socket.on('error', ended);
  }

  static async open(port: number, host = '127.0.0.1'): Promise<RawHttpConnection> {
    const socket = connect({ port, host });
    await once(socket, 'connect');
    return new RawHttpConnection(socket);
  }

  /** Whether the peer has closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  write(bytes: string | Buffer): void {
    this.#socket.write(bytes);
  }

  /** The next response; rejects after `timeoutMs` or when the peer closes before it is complete. */
  async readResponse(method = 'GET', timeoutMs = 5_000): Promise<RawResponse> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = this.#take(method);
      if (response) return response;
      if (this.#ended)
        throw new Error(
          `connection closed before a complete response: ${JSON.stringify(this.#buffer.toString('latin1'))}`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(
          `no complete response within ${timeoutMs} ms: ${JSON.stringify(this.#buffer.toString('latin1'))}`,
        );
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
  }

  /** Resolves once the peer has closed the connection (or after `timeoutMs`, with false). */
  async waitForEnd(timeoutMs = 5_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, deadline - Date.now());
        this.#waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#waiter = undefined;
    }
    return this.#ended;
  }

  close(): void {
    this.#socket.destroy();
  }

  #take(method: string): RawResponse | undefined {
    const headEnd = this.#buffer.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine = '', ...lines] = this.#buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? NaN);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
    }
    const noBody = method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200);
    const length = noBody ? 0 : Number(headers['content-length'] ?? 0);
    const bodyStart = headEnd + 4;
    if (this.#buffer.length < bodyStart + length) return undefined;
    const body = this.#buffer.subarray(bodyStart, bodyStart + length).toString('latin1');
    this.#buffer = this.#buffer.subarray(bodyStart + length);
    return { status, headers, body };
  }
}
