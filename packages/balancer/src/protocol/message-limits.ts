/** The close code a message limit asks for: 1009 Message Too Big, 1008 Policy Violation. */
export type LimitVerdict = 'ok' | 1009 | 1008;

const continuation = 0x0;
const firstControlOpcode = 0x8;

/**
 * Optional inspection of what a client sends (DESIGN "WebSocket guard"): the size of each
 * message, summed over its fragments as they appear on the wire (compressed size under
 * permessage-deflate), and the number of messages per second (a token bucket with a burst of one
 * second's worth). Fed frame headers only; pure, with the clock injected.
 */
export class MessageLimits {
  readonly #maxSize: number;
  readonly #maxRate: number;
  readonly #now: () => number;
  #messageSize = 0;
  #tokens: number;
  #updatedAt: number;

  constructor(options: { maxMessageSize: number; maxMessageRate: number; now?: () => number }) {
    this.#maxSize = options.maxMessageSize;
    this.#maxRate = options.maxMessageRate;
    this.#now = options.now ?? Date.now;
    this.#tokens = options.maxMessageRate;
    this.#updatedAt = this.#now();
  }

  /** One frame header from the client. Control frames (ping, pong, close) are not messages. */
  frame(fin: boolean, opcode: number, length: number): LimitVerdict {
    if (opcode >= firstControlOpcode) return 'ok';
    this.#messageSize = opcode === continuation ? this.#messageSize + length : length;
    if (this.#maxSize > 0 && this.#messageSize > this.#maxSize) return 1009;
    if (opcode !== continuation && this.#maxRate > 0 && !this.#takeToken()) return 1008;
    if (fin) this.#messageSize = 0;
    return 'ok';
  }

  #takeToken(): boolean {
    const now = this.#now();
    this.#tokens = Math.min(this.#maxRate, this.#tokens + ((now - this.#updatedAt) / 1000) * this.#maxRate);
    this.#updatedAt = now;
    if (this.#tokens < 1) return false;
    this.#tokens -= 1;
    return true;
  }
}
