import { Agent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { backendKeepAliveIdleMs } from '../core/timings.js';
import { drainableKeepAlive } from './http/drainable-keep-alive.js';

/**
 * The keep-alive agents of a worker's HTTP requests to backends: one for `http://` backends, one
 * for `https://` ones (verifying their certificates against `--backend-ca`, or Node's CAs, with
 * the URL's host as SNI name). Keep-alive connections to draining backends close once idle.
 */
export class BackendAgents {
  readonly #http = new Agent({ keepAlive: true, scheduling: 'lifo', timeout: backendKeepAliveIdleMs });
  readonly #httpDrain = drainableKeepAlive(this.#http);
  #https: HttpsAgent;
  #httpsDrain: ReturnType<typeof drainableKeepAlive>;
  #draining: readonly string[] = [];

  constructor(backendCa?: string) {
    this.#https = httpsAgent(backendCa);
    this.#httpsDrain = drainableKeepAlive(this.#https);
  }

  /** The agent for a backend's origin. */
  forOrigin(origin: string): Agent {
    return origin.startsWith('https:') ? this.#https : this.#http;
  }

  /** A new backend CA: later connections verify against it; pooled ones finish their requests first. */
  setBackendCa(backendCa: string | undefined): void {
    const previous = this.#https;
    this.#https = httpsAgent(backendCa);
    this.#httpsDrain = drainableKeepAlive(this.#https);
    this.#httpsDrain.setDraining(this.#draining);
    // Idle sockets go now; busy ones stay with their request and are not pooled again.
    previous.destroy();
  }

  /** Origins of draining backends. */
  setDraining(origins: readonly string[]): void {
    this.#draining = origins;
    this.#httpDrain.setDraining(origins);
    this.#httpsDrain.setDraining(origins);
  }

  destroy(): void {
    this.#http.destroy();
    this.#https.destroy();
  }
}

function httpsAgent(ca: string | undefined): HttpsAgent {
  return new HttpsAgent({
    keepAlive: true,
    scheduling: 'lifo',
    timeout: backendKeepAliveIdleMs,
    ...(ca === undefined ? {} : { ca }),
  });
}
