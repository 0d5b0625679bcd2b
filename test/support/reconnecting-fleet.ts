import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** One close a client received. */
export interface ReceivedClose {
  readonly code: number;
  /** When it arrived, on the monotonic clock (`performance.now()`). */
  readonly at: number;
  readonly backend: string;
}

/**
 * Clients that behave like a real-time app's: each keeps one WebSocket open, reconnects right
 * after it is closed, and can stream large fragmented messages. Records every failed handshake,
 * every close and every protocol error, for rollout and shutdown tests.
 */
export class ReconnectingFleet {
  readonly closes: ReceivedClose[] = [];
  readonly handshakeFailures: string[] = [];
  readonly protocolErrors: string[] = [];
  readonly #urls: readonly string[];
  readonly #sockets = new Map<number, { ws: WebSocket; backend: string }>();
  #stopped = false;
  #streaming = false;
  #streamEvery = 5;

  constructor(
    urls: readonly string[],
    readonly size: number,
  ) {
    this.#urls = urls;
  }

  /** Opens every client; resolves when all are connected. */
  async start(): Promise<void> {
    await Promise.all(Array.from({ length: this.size }, (_, index) => this.#connect(index)));
  }

  /** The backend each client is connected to now (undefined while reconnecting). */
  backends(): (string | undefined)[] {
    return Array.from({ length: this.size }, (_, index) => this.#sockets.get(index)?.backend);
  }

  openCount(): number {
    return [...this.#sockets.values()].filter(({ ws }) => ws.readyState === WebSocket.OPEN).length;
  }

  /**
   * Every `every`-th client sends a 1 MiB message as 4 fragments, again 200 ms after each echo,
   * so that closes meet large fragmented messages in flight both ways.
   */
  streamLargeMessages(every = 5): void {
    this.#streamEvery = every;
    this.#streaming = true;
    for (const index of this.#sockets.keys()) this.#pump(index);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    await Promise.all(
      [...this.#sockets.values()].map(
        ({ ws }) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocket.CLOSED) return resolve();
            ws.once('close', () => resolve());
            ws.terminate();
          }),
      ),
    );
  }

  async #connect(index: number): Promise<void> {
    const url = this.#urls[index % this.#urls.length]!;
    const ws = new WebSocket(url, { perMessageDeflate: false });
    let backend = '';
    ws.on('upgrade', (res) => (backend = String(res.headers['x-backend'])));
    ws.on('error', (err) => {
      if (/Invalid WebSocket frame|invalid (status|opcode|payload)|RSV|MASK/i.test(err.message))
        this.protocolErrors.push(err.message);
    });
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('unexpected-response', (_req, res) => {
        this.handshakeFailures.push(`HTTP ${res.statusCode}`);
        ws.terminate();
        resolve(false);
      });
      ws.once('error', (err) => {
        this.handshakeFailures.push(err.message);
        resolve(false);
      });
    });
    if (!opened) {
      // A real client's back-off before it tries again (client behaviour, not a wait of the test).
      if (!this.#stopped) setTimeout(() => void this.#connect(index), 50);
      return;
    }
    this.#sockets.set(index, { ws, backend });
    ws.once('close', (code) => {
      this.#sockets.delete(index);
      if (this.#stopped) return;
      this.closes.push({ code, at: performance.now(), backend });
      // Reconnects come at once but not in lockstep, as real clients' do.
      setTimeout(() => void this.#connect(index), 5 + Math.random() * 20);
    });
    if (this.#streaming) this.#pump(index);
  }

  #pump(index: number): void {
    if (index % this.#streamEvery !== 0) return;
    const entry = this.#sockets.get(index);
    if (!entry || entry.ws.readyState !== WebSocket.OPEN) return;
    const { ws } = entry;
    const piece = randomBytes(256 * 1024);
    for (let i = 0; i < 4; i++) ws.send(piece, { binary: true, fin: i === 3 });
    ws.once('message', () => setTimeout(() => this.#pump(index), 200));
  }
}
