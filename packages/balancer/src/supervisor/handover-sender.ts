import type { Logger } from 'pino';
import { handoverAnswerMs, handoverAnswerSlackMs, handoverLanes, handoverRestMs } from '../core/timings.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { streamHandleOf, type StreamHandle } from '../proxy/websocket/socket-handle.js';
import type { HandoverReady, WebSocketSession } from '../proxy/websocket/websocket-session.js';
import type { WorkerToPrimary } from './ipc-messages.js';

/** How a retiring worker sends a socket's handle to the primary. */
export interface HandleChannel {
  /** Resolves once the message and its handle are written to the channel; rejects when they could not be. */
  sendHandle(message: WorkerToPrimary, handle: StreamHandle): Promise<void>;
}

/** What a handover did: tunnels now with the successor, and those this worker keeps until they end or the deadline. */
export interface HandoverOutcome {
  readonly moved: number;
  readonly kept: number;
}

/**
 * The retiring worker's side of a worker replacement (issue: fleet features, point 3): each
 * movable tunnel is brought to rest, its two file descriptors and its parcel go to the successor
 * through the primary, and only once the successor says it relays the tunnel does this worker
 * let go of its copies. A tunnel that cannot move, does not come to rest, or that the successor
 * refuses or does not answer for, goes on here as before: a handover never closes a tunnel.
 */
export class HandoverSender {
  readonly #proxy: ProxyServer;
  readonly #channel: HandleChannel;
  readonly #successor: number;
  readonly #log: Logger;
  readonly #answers = new Map<string, (adopted: boolean) => void>();

  constructor(proxy: ProxyServer, channel: HandleChannel, successor: number, log: Logger) {
    this.#proxy = proxy;
    this.#channel = channel;
    this.#successor = successor;
    this.#log = log;
  }

  /** The successor's answer for one tunnel, relayed by the primary. */
  answered(id: string, adopted: boolean): void {
    const answer = this.#answers.get(id);
    if (answer) return void answer(adopted);
    // Past our wait the tunnel went on here; the successor must have refused it (its deadline is earlier).
    if (adopted) this.#log.error({ session: id }, 'a handover was confirmed after this worker kept the tunnel');
  }

  /** Hands over every movable tunnel, a few at a time; resolves when each has moved or stayed. */
  async run(): Promise<HandoverOutcome> {
    const startedAt = performance.now();
    const queue = this.#proxy.movableSessions();
    const total = this.#proxy.sessions.size;
    let moved = 0;
    const lane = async (): Promise<void> => {
      for (let session = queue.shift(); session; session = queue.shift()) if (await this.#move(session)) moved++;
    };
    await Promise.all(Array.from({ length: handoverLanes }, lane));
    const outcome = { moved, kept: total - moved };
    const durationMs = Math.round(performance.now() - startedAt);
    this.#log.info(
      { ...outcome, successor: this.#successor, durationMs },
      'websocket tunnels handed over to the successor',
    );
    return outcome;
  }

  async #move(session: WebSocketSession): Promise<boolean> {
    const ready = await session.prepareHandover(handoverRestMs);
    if (!ready) return false;
    const adopted = await this.#send(ready).catch((err: unknown) => {
      this.#log.warn({ err, session: session.id }, 'handover failed, the tunnel stays with this worker');
      return false;
    });
    if (adopted) session.handedOver();
    else session.handoverFailed();
    return adopted;
  }

  async #send({ parcel, client, backend }: HandoverReady): Promise<boolean> {
    const clientHandle = streamHandleOf(client);
    const backendHandle = streamHandleOf(backend);
    if (!clientHandle || !backendHandle) return false;
    const { id } = parcel;
    const deadline = Date.now() + handoverAnswerMs;
    let timer: NodeJS.Timeout | undefined;
    const answer = new Promise<boolean>((resolve) => this.#answers.set(id, resolve));
    const to = this.#successor;
    const sent = (async (): Promise<boolean> => {
      await this.#channel.sendHandle(
        { type: 'handover-socket', to, id, side: 'client', parcel, deadline },
        clientHandle,
      );
      await this.#channel.sendHandle({ type: 'handover-socket', to, id, side: 'backend', deadline }, backendHandle);
      return answer;
    })();
    // Nothing heard by then (a channel stuck, a handle lost on the way): the successor refuses
    // anything past its deadline, so the tunnel can safely go on here.
    const gaveUp = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), handoverAnswerMs + handoverAnswerSlackMs);
    });
    try {
      return await Promise.race([sent, gaveUp]);
    } finally {
      clearTimeout(timer);
      this.#answers.delete(id);
      sent.catch(() => {}); // a send that fails after we gave up has nothing left to undo
    }
  }
}
