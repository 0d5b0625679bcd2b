import { TestkitError } from '../errors/testkit-error.js';

type Waiter<T> = { resolve: (value: T) => void; reject: (err: Error) => void };

/**
 * Hands each incoming message to the oldest pending `next()` call. Messages
 * that arrive with nobody waiting are not queued here (the client records all
 * messages separately), so `next()` always means "the next one from now".
 */
export class MessageQueue<T> {
  readonly #waiters: Array<Waiter<T>> = [];
  #closedError: Error | undefined;

  /** Delivers a message to the oldest waiter, if any. */
  push(message: T): void {
    this.#waiters.shift()?.resolve(message);
  }

  /** Fails every current and future waiter (the connection is gone). */
  close(reason: string): void {
    this.#closedError = new TestkitError('TESTKIT_ERR_CLOSED', reason);
    for (const waiter of this.#waiters.splice(0)) waiter.reject(this.#closedError);
  }

  /** Resolves with the next message; rejects on close or after `timeoutMs`. */
  next(timeoutMs: number): Promise<T> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(waiter);
        if (index >= 0) this.#waiters.splice(index, 1);
        reject(new TestkitError('TESTKIT_ERR_TIMEOUT', `no message within ${timeoutMs} ms`));
      }, timeoutMs);
      const waiter: Waiter<T> = {
        resolve: (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      this.#waiters.push(waiter);
    });
  }
}
