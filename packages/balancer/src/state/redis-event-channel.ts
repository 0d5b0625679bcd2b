import { closeClient, type RedisClient, type StateLogger, unavailable, watchConnection } from './redis-connection.js';
import { decodeStateEvent } from './state-codec.js';
import type { StateEvent } from './state-store.js';

type Listener = (event: StateEvent) => void;

/**
 * The receiving side of the events channel: one dedicated subscriber connection (a connection
 * in subscribe mode can run nothing else), opened on the first `subscribe` so that one-shot
 * users such as the CLI never open it. ioredis re-subscribes after a reconnect: a standalone or
 * Sentinel client on its new connection (to the new master after a failover), a Cluster client on
 * whichever node it picks next. Classic PUBLISH reaches every node of a Redis Cluster, so one
 * subscription anywhere hears every event.
 */
export class RedisEventChannel {
  readonly #listeners = new Set<Listener>();
  #subscriber: RedisClient | undefined;
  #subscribing: Promise<void> | undefined;
  #closed = false;
  readonly #createSubscriber: () => RedisClient;
  readonly #channel: string;
  readonly #logger: StateLogger;

  constructor(createSubscriber: () => RedisClient, channel: string, logger: StateLogger) {
    this.#createSubscriber = createSubscriber;
    this.#channel = channel;
    this.#logger = logger;
  }

  /**
   * Resolves once the subscription is confirmed, so every event published afterwards reaches
   * `listener`; rejects with MOORING_ERR_STATE_UNAVAILABLE when Redis is away (a later call
   * tries again). After the subscriber reconnects, listeners also get `registry-changed` and
   * `health-changed`: events published during the outage are lost, and this makes them re-read.
   */
  async subscribe(listener: Listener): Promise<() => Promise<void>> {
    await this.#ensureSubscribed();
    // Wrapped so that subscribing the same function twice gives two independent subscriptions.
    const wrapped: Listener = (event) => listener(event);
    this.#listeners.add(wrapped);
    return async () => void this.#listeners.delete(wrapped);
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#listeners.clear();
    if (this.#subscriber) await closeClient(this.#subscriber);
  }

  #ensureSubscribed(): Promise<void> {
    this.#subscribing ??= this.#start().catch((err: unknown) => {
      // Forget the failed attempt, so the next subscribe tries again.
      this.#subscribing = undefined;
      throw unavailable('subscribe', err);
    });
    return this.#subscribing;
  }

  async #start(): Promise<void> {
    const subscriber = this.#createSubscriber();
    watchConnection(subscriber, 'subscriber', this.#logger);
    subscriber.on('message', (channel: string, message: string) => this.#onMessage(channel, message));
    let readyBefore = false;
    subscriber.on('ready', () => {
      if (readyBefore) queueMicrotask(() => this.#resync());
      readyBefore = true;
    });
    try {
      await subscriber.connect();
      await subscriber.subscribe(this.#channel);
    } catch (err) {
      subscriber.disconnect();
      throw err;
    }
    this.#subscriber = subscriber;
    // Closed while connecting: do not leave a client reconnecting forever.
    if (this.#closed) await closeClient(subscriber);
  }

  #onMessage(channel: string, message: string): void {
    if (channel !== this.#channel) return;
    const event = decodeStateEvent(message);
    if (!event) {
      this.#logger.warn({ channel, message: message.slice(0, 200) }, 'ignored a malformed state event');
      return;
    }
    this.#dispatch(event);
  }

  /** Tells listeners to re-read what they may have missed while the subscriber was away. */
  #resync(): void {
    this.#dispatch({ type: 'registry-changed' });
    this.#dispatch({ type: 'health-changed' });
  }

  #dispatch(event: StateEvent): void {
    for (const listener of [...this.#listeners]) {
      try {
        listener(event);
      } catch (err) {
        this.#logger.warn({ err, event: event.type }, 'a state event listener threw');
      }
    }
  }
}
