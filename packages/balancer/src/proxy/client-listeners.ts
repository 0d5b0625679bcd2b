import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import type { MooringConfig } from '../config/schema.js';
import { clientKeepAliveMs, wholeRequestTimeoutMs } from '../core/timings.js';
import { TlsContexts } from './tls/tls-server-options.js';
import type { TlsMaterial } from './tls/tls-material.js';

/** The listeners' shared behaviour: one request handler, one upgrade handler, one way to refuse. */
export interface ListenerHandlers {
  readonly request: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
  /** Wires CONNECT and unparseable requests (refusals) on a server. */
  readonly refuse: (server: Server) => void;
}

/**
 * How often Node looks for requests past their deadline. Its default, 30 s, would let a request
 * head outlive `--request-head-timeout` by up to that much; a tenth of the timeout (50 ms to
 * 1 s) keeps the cut within 10 % and the sweep cheap (it walks only connections mid-request).
 */
function headTimeoutSweepMs(timeoutMs: number): number {
  return Math.min(1_000, Math.max(50, Math.round(timeoutMs / 10)));
}

/**
 * A worker's client-facing servers: the plaintext `--listen` one, and the `--listen-tls` one when
 * configured, both serving the same handlers. The TLS one is created with the first TLS material
 * the primary sends, and swaps its certificates in place when new material comes.
 */
export class ClientListeners {
  readonly plain: Server;
  #tls: HttpsServer | undefined;
  #contexts: TlsContexts | undefined;
  readonly #config: Readonly<MooringConfig>;
  readonly #handlers: ListenerHandlers;
  readonly #log: Logger;
  #closed: Promise<void> | undefined;

  constructor(config: Readonly<MooringConfig>, handlers: ListenerHandlers, log: Logger) {
    this.#config = config;
    this.#handlers = handlers;
    this.#log = log;
    this.plain = this.#serve(createServer(this.#httpOptions()));
  }

  /** The TLS server, once the primary's material has arrived (and `--listen-tls` is set). */
  get tls(): HttpsServer | undefined {
    return this.#tls;
  }

  /** The primary's TLS material: creates the TLS server the first time, swaps its contexts after. */
  tlsMaterial(material: TlsMaterial): void {
    if (this.#config.listenTls === undefined || material.certificates.length === 0) return;
    if (!this.#contexts || !this.#tls) {
      this.#contexts = new TlsContexts(this.#config, material);
      this.#tls = this.#serve(
        createHttpsServer({ ...this.#httpOptions(), ...this.#contexts.serverOptions() }) as unknown as Server,
      ) as unknown as HttpsServer;
      // A failed handshake (plaintext to the TLS port, a bad client certificate) costs its socket only.
      this.#tls.on('tlsClientError', (err: Error, socket: Duplex) => {
        this.#log.debug({ err }, 'TLS handshake failed');
        socket.destroy();
      });
      return;
    }
    const { defaultOptions, ticketKey } = this.#contexts.update(material);
    this.#tls.setSecureContext(defaultOptions);
    if (ticketKey) this.#tls.setTicketKeys(ticketKey);
  }

  /** Listens on the configured addresses; `ready` once each is bound. */
  listen(ready: (server: Server) => void): void {
    const { listen, listenTls } = this.#config;
    this.plain.listen(listen.port, listen.host, () => ready(this.plain));
    const tls = this.#tls as unknown as Server | undefined;
    if (listenTls && tls) tls.listen(listenTls.port, listenTls.host, () => ready(tls));
  }

  /** Stops accepting on every listener; resolves once all their connections have closed. */
  stopAccepting(): Promise<void> {
    this.#closed ??= Promise.all(
      this.#servers().map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
    ).then(() => undefined);
    return this.#closed;
  }

  closeAllConnections(): void {
    for (const server of this.#servers()) server.closeAllConnections();
  }

  #servers(): Server[] {
    return this.#tls ? [this.plain, this.#tls as unknown as Server] : [this.plain];
  }

  #httpOptions() {
    return {
      maxHeaderSize: this.#config.maxHeaderSize,
      noDelay: true,
      keepAliveTimeout: clientKeepAliveMs,
      headersTimeout: this.#config.requestHeadTimeout,
      requestTimeout: wholeRequestTimeoutMs,
      connectionsCheckingInterval: headTimeoutSweepMs(this.#config.requestHeadTimeout),
    };
  }

  #serve(server: Server): Server {
    server.on('request', this.#handlers.request);
    server.on('upgrade', this.#handlers.upgrade);
    this.#handlers.refuse(server);
    return server;
  }
}
