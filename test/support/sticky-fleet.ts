import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** One client of {@link StickyFleet}: where it is, what it was sent, what its handshakes carried. */
export interface StickyClient {
  readonly index: number;
  /** The backend of each of its sessions, in order (the first is where it started). */
  readonly backends: string[];
  /** Close codes it received, with when (monotonic ms). */
  readonly closes: { code: number; at: number }[];
  /** The sticky cookie it holds (from its last 101) and whether each handshake presented one. */
  cookie: string | undefined;
  readonly presentedCookie: boolean[];
  ws: WebSocket | undefined;
}

/**
 * Clients of a real-time app with sticky cookies: each keeps one WebSocket, keeps the cookie the
 * 101 set, and reconnects with it right after a close (a few ms of back-off, not in lockstep).
 * Records each client's sessions and closes, and every failed handshake.
 */
export class StickyFleet {
  readonly clients: StickyClient[];
  readonly handshakeFailures: string[] = [];
  #stopped = false;

  constructor(
    readonly urls: readonly string[],
    size: number,
  ) {
    this.clients = Array.from({ length: size }, (_, index) => ({
      index,
      backends: [],
      closes: [],
      cookie: undefined,
      presentedCookie: [],
      ws: undefined,
    }));
  }

  /** Connects the clients one after another (so least-connections sees each), through the nodes in turn. */
  async start(): Promise<void> {
    for (const client of this.clients) await this.#connect(client);
  }

  openCount(): number {
    return this.clients.filter((client) => client.ws?.readyState === WebSocket.OPEN).length;
  }

  /** The backend each client is on now. */
  current(): string[] {
    return this.clients.map((client) => client.backends.at(-1) ?? '');
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const client of this.clients) client.ws?.terminate();
  }

  /** Resolves once the client is connected (a failed handshake is recorded and tried again, as a real client would). */
  #connect(client: StickyClient): Promise<void> {
    const url = this.urls[client.index % this.urls.length]!;
    const headers = client.cookie ? { cookie: client.cookie } : undefined;
    client.presentedCookie.push(client.cookie !== undefined);
    const ws = new WebSocket(url, { perMessageDeflate: false, headers });
    ws.on('upgrade', (res) => {
      const set = res.headers['set-cookie']?.[0];
      if (set) client.cookie = set.split(';')[0];
      client.backends.push(String(res.headers['x-backend']));
    });
    return new Promise<void>((resolve) => {
      let opened = false;
      let failed = false;
      const fail = (why: string): void => {
        if (failed) return;
        failed = true;
        this.handshakeFailures.push(`client ${client.index}: ${why}`);
        ws.terminate();
        if (this.#stopped) return resolve();
        setTimeout(() => void this.#connect(client).then(resolve), 50);
      };
      ws.on('error', (err) => {
        if (!opened) fail(err.message);
      });
      ws.once('unexpected-response', (_req, res) => fail(`HTTP ${res.statusCode}`));
      ws.once('open', () => {
        opened = true;
        client.ws = ws;
        resolve();
      });
      ws.once('close', (code) => {
        if (!opened || this.#stopped) return;
        client.closes.push({ code, at: performance.now() });
        // A real client's reconnection: at once, but not in lockstep with the others.
        setTimeout(() => void this.#connect(client), 5 + Math.random() * 20);
      });
    });
  }
}
