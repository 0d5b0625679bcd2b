import { createServer } from 'node:http';
import { closeServer, listen, trackSockets } from '@mooring/testkit';
import { WebSocket, WebSocketServer } from 'ws';

/**
 * WebSocket streams whose every message carries a sequence number, both ways, so that a test can
 * prove end to end that nothing was lost, duplicated or reordered (a worker handing a tunnel over,
 * say). Every eighth message is 20 KB: a tunnel is often mid-frame when something happens to it.
 */
export class SequencedEnd {
  readonly ws: WebSocket;
  sent = 0;
  /** The next sequence number this end expects. */
  expected = 0;
  /** Messages that did not carry the expected number. */
  readonly faults: string[] = [];
  /** The count the other end announced it sent, once it stopped. */
  announced: number | undefined;
  closes = 0;
  closeCode: number | undefined;
  readonly errors: Error[] = [];

  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.on('message', (data) => this.#received(String(data)));
    ws.on('close', (code) => {
      this.closes++;
      this.closeCode = code;
    });
    ws.on('error', (err) => this.errors.push(err));
  }

  sendNext(): void {
    const seq = this.sent++;
    this.ws.send(seq % 8 === 7 ? `${seq} ${'x'.repeat(20_000)}` : String(seq));
  }

  /** Says how many messages this end sent: the other end checks it got exactly those. */
  sendFin(): void {
    this.ws.send(`fin ${this.sent}`);
  }

  /** Everything the other end sent arrived, once each, in order. */
  get complete(): boolean {
    return this.announced !== undefined && this.announced === this.expected && this.faults.length === 0;
  }

  #received(text: string): void {
    const [head, count] = text.split(' ', 2);
    if (head === 'fin') return void (this.announced = Number(count));
    const seq = Number(head);
    if (seq !== this.expected) this.faults.push(`expected ${this.expected}, got ${seq}`);
    this.expected = seq + 1;
  }
}

/** A backend whose every WebSocket is a {@link SequencedEnd}. */
export interface SequencedBackend {
  readonly url: string;
  readonly ends: SequencedEnd[];
  /** Upgrade requests received (answered or not yet). */
  readonly handshakes: number;
  close(): Promise<void>;
}

/** `handshakeDelayMs`: how long the backend takes to answer an upgrade (a slow app server). */
export async function startSequencedBackend(options: { handshakeDelayMs?: number } = {}): Promise<SequencedBackend> {
  const server = createServer((_req, res) => res.end('ok'));
  const sockets = trackSockets(server);
  let handshakes = 0;
  const delay = options.handshakeDelayMs ?? 0;
  const wss = new WebSocketServer({
    server,
    verifyClient: (_info, accept) => {
      handshakes++;
      setTimeout(() => accept(true), delay);
    },
  });
  const ends: SequencedEnd[] = [];
  wss.on('connection', (ws) => ends.push(new SequencedEnd(ws)));
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}`,
    ends,
    get handshakes() {
      return handshakes;
    },
    close: async () => {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await closeServer(server, sockets);
    },
  };
}

export async function openSequencedClient(url: string): Promise<SequencedEnd> {
  const ws = new WebSocket(url);
  const end = new SequencedEnd(ws);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return end;
}

/**
 * Sends the next message on every end, every `intervalMs`, until stopped, and at most `maxTicks`
 * times (a test that forgets to stop it does not load the machine for ever).
 */
export class StreamingLoad {
  readonly #ends: () => readonly SequencedEnd[];
  readonly #timer: NodeJS.Timeout;
  #ticks = 0;

  constructor(ends: () => readonly SequencedEnd[], intervalMs: number, maxTicks: number) {
    this.#ends = ends;
    this.#timer = setInterval(() => {
      if (++this.#ticks > maxTicks) return this.stop();
      for (const end of this.#ends()) if (end.ws.readyState === WebSocket.OPEN) end.sendNext();
    }, intervalMs);
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
