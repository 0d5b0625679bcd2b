import { buildConnector, Pool } from 'undici';
import { backendKeepAliveIdleMs } from '../../core/timings.js';
import type { Backend } from '../../core/backend.js';
import { backendTarget } from '../backend-target.js';

/** What every backend pool of a worker shares. */
export interface BackendPoolsOptions {
  /** A backend that has not accepted TCP (and TLS) by then is skipped for the next (`--connect-timeout`). */
  readonly connectTimeoutMs: number;
}

/**
 * The keep-alive connections of a worker's HTTP requests to backends: one undici Pool per backend
 * origin, one request at a time per connection (pipelining 1: a backend that answers out of turn
 * or closes mid-pipeline can never hand one client's answer to another). `https://` pools verify
 * certificates against `--backend-ca` (or Node's CAs) with the URL's host as SNI name, never the
 * client's Host header. Connections to draining backends close once their request is answered.
 */
export class BackendPools {
  readonly #pools = new Map<string, Pool>();
  readonly #options: BackendPoolsOptions;
  #draining: ReadonlySet<string> = new Set();
  #ca: string | undefined;

  constructor(options: BackendPoolsOptions) {
    this.#options = options;
  }

  /** The pool of a backend's origin, made on first use. */
  forBackend(backend: Backend): Pool {
    const pool = this.#pools.get(backend.url);
    if (pool) return pool;
    const created = this.#create(backend);
    this.#pools.set(backend.url, created);
    return created;
  }

  /**
   * Whether requests to this origin must close their connection once answered (its backend is
   * draining): the pool of a draining backend keeps no idle connection.
   */
  isDraining(origin: string): boolean {
    return this.#draining.size > 0 && this.#draining.has(origin);
  }

  /**
   * Origins of draining backends: their pools close (idle connections at once, busy ones as soon
   * as their request is answered); later requests to them get a fresh pool and `Connection: close`.
   */
  setDraining(origins: readonly string[]): void {
    const draining = new Set(origins);
    for (const origin of draining) if (!this.#draining.has(origin)) this.#retire(origin);
    this.#draining = draining;
  }

  /** The backends' URLs now: pools of origins no longer among them close once idle. */
  retain(origins: readonly string[]): void {
    const kept = new Set(origins);
    for (const origin of [...this.#pools.keys()]) if (!kept.has(origin)) this.#retire(origin);
  }

  /** A new backend CA: later connections verify against it; pooled ones finish their requests first. */
  setBackendCa(ca: string | undefined): void {
    this.#ca = ca;
    for (const origin of [...this.#pools.keys()]) if (origin.startsWith('https:')) this.#retire(origin);
  }

  /** Ends every backend connection at once. */
  destroy(): void {
    for (const pool of this.#pools.values()) void pool.destroy().catch(() => {});
    this.#pools.clear();
  }

  #retire(origin: string): void {
    const pool = this.#pools.get(origin);
    if (!pool) return;
    this.#pools.delete(origin);
    void pool.close().catch(() => {});
  }

  #create(backend: Backend): Pool {
    const { endpoint } = backendTarget(backend);
    const connector = buildConnector({
      timeout: this.#options.connectTimeoutMs,
      ...(endpoint.secure && this.#ca !== undefined ? { ca: this.#ca } : {}),
    });
    // undici would take the SNI name from the request's Host header; the URL's host it is, and
    // none for an IP address (which is checked against the certificate's IP addresses).
    const servername = endpoint.servername;
    return new Pool(new URL(backend.url).origin, {
      pipelining: 1,
      keepAliveTimeout: backendKeepAliveIdleMs,
      keepAliveMaxTimeout: backendKeepAliveIdleMs,
      connect: endpoint.secure ? (options, callback) => connector({ ...options, servername }, callback) : connector,
    });
  }
}
