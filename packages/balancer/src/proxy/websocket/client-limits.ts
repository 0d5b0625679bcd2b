/**
 * Per-client-address limits on WebSockets, kept per worker: live connections and a token bucket
 * of handshakes per second. Entries for quiet clients are swept so that a scan of many addresses
 * can't grow memory without bound.
 */
export class ClientLimits {
  readonly #maxConnections: number;
  readonly #ratePerSecond: number;
  readonly #now: () => number;
  readonly #live = new Map<string, number>();
  readonly #buckets = new Map<string, { tokens: number; updatedAt: number }>();

  constructor(options: { maxConnections: number; ratePerSecond: number; now?: () => number }) {
    this.#maxConnections = options.maxConnections;
    this.#ratePerSecond = options.ratePerSecond;
    this.#now = options.now ?? Date.now;
  }

  /** Whether this client may open one more WebSocket now; counts the handshake if so. */
  admit(address: string): 'ok' | 'MOORING_ERR_CLIENT_CONNECTION_LIMIT' | 'MOORING_ERR_CLIENT_HANDSHAKE_RATE' {
    if (this.#maxConnections > 0 && (this.#live.get(address) ?? 0) >= this.#maxConnections)
      return 'MOORING_ERR_CLIENT_CONNECTION_LIMIT';
    if (this.#ratePerSecond > 0 && !this.#takeToken(address)) return 'MOORING_ERR_CLIENT_HANDSHAKE_RATE';
    if (this.#maxConnections > 0) this.#live.set(address, (this.#live.get(address) ?? 0) + 1);
    return 'ok';
  }

  /** The client's WebSocket (or failed handshake) is over. */
  /** A connection another worker handed over: it counts against the limit, but took no handshake token. */
  adopt(address: string): void {
    if (this.#maxConnections > 0) this.#live.set(address, (this.#live.get(address) ?? 0) + 1);
  }

  release(address: string): void {
    if (this.#maxConnections === 0) return;
    const count = (this.#live.get(address) ?? 0) - 1;
    if (count > 0) this.#live.set(address, count);
    else this.#live.delete(address);
  }

  /** Forgets buckets that have refilled: they would admit the next handshake anyway. */
  sweep(): void {
    const now = this.#now();
    for (const [address, bucket] of this.#buckets) {
      if (bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.#ratePerSecond >= this.#burst())
        this.#buckets.delete(address);
    }
  }

  #burst(): number {
    return Math.max(1, this.#ratePerSecond);
  }

  #takeToken(address: string): boolean {
    const now = this.#now();
    const bucket = this.#buckets.get(address) ?? { tokens: this.#burst(), updatedAt: now };
    bucket.tokens = Math.min(this.#burst(), bucket.tokens + ((now - bucket.updatedAt) / 1000) * this.#ratePerSecond);
    bucket.updatedAt = now;
    this.#buckets.set(address, bucket);
    if (bucket.tokens < 1) return false;
    bucket.tokens -= 1;
    return true;
  }
}
