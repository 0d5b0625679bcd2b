import type { Logger } from 'pino';
import { handoverAnswerMs, handoverAnswerSlackMs, handoverLanes, handoverRestMs } from '../core/timings.js';
import type { ProxyServer } from '../proxy/proxy-server.js';
import { streamHandleOf, type StreamHandle } from '../proxy/websocket/socket-handle.js';
import type { HandoverReady, WebSocketSession } from '../proxy/websocket/websocket-session.js';
import type { WorkerToPrimary } from './ipc-messages.js';

/** How a retiring worker talks to the primary during a handover. */
export interface HandleChannel {
  send(message: WorkerToPrimary): void;
  /** Resolves once the message and its handle are written to the channel; rejects when they could not be. */
  sendHandle(message: WorkerToPrimary, handle: StreamHandle): Promise<void>;
}

/** The reasons the primary closes sessions for (the others come from inside a tunnel, which never moves then). */
function isPrimaryCloseReason(reason: string): reason is 'drain' | 'shutdown' | 'rebalance' {
  return reason === 'drain' || reason === 'shutdown' || reason === 'rebalance';
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
  /** Sends the worker's pending session reports: the primary must know a session before it moves. */
  readonly #beforeSend: () => void;
  readonly #answers = new Map<string, (adopted: boolean) => void>();
  readonly #queue: WebSocketSession[] = [];
  #lanes = 0;
  #moved = 0;
  readonly #whenIdle: Array<() => void> = [];

  constructor(proxy: ProxyServer, channel: HandleChannel, successor: number, log: Logger, beforeSend: () => void) {
    this.#proxy = proxy;
    this.#channel = channel;
    this.#successor = successor;
    this.#log = log;
    this.#beforeSend = beforeSend;
  }

  /**
   * A session that opened after the handover began (its handshake was in flight when the worker
   * stopped accepting): it moves too, or this worker would keep it to the deadline. Its pipes are
   * set up right after the 101, in the same tick, so it is looked at once they are.
   */
  offer(session: WebSocketSession): void {
    setImmediate(() => {
      if (session.movable) void this.#enqueue([session]);
    });
  }

  /** The successor's answer for one tunnel, relayed by the primary. */
  answered(id: string, adopted: boolean): void {
    const answer = this.#answers.get(id);
    if (answer) return void answer(adopted);
    // Past our wait the tunnel went on here; the successor must have refused it (its deadline is earlier).
    if (adopted) this.#log.error({ session: id }, 'a handover was confirmed after this worker kept the tunnel');
  }

  /**
   * Hands over every movable tunnel, a few at a time; resolves when each has moved or stayed
   * (`kept`: the open tunnels left here). Those offered later move as they open.
   */
  async run(): Promise<HandoverOutcome> {
    const startedAt = performance.now();
    await this.#enqueue(this.#proxy.movableSessions());
    const kept = [...this.#proxy.sessions].filter((session) => session.isOpen).length;
    const outcome = { moved: this.#moved, kept };
    const durationMs = Math.round(performance.now() - startedAt);
    this.#log.info(
      { ...outcome, successor: this.#successor, durationMs },
      'websocket tunnels handed over to the successor',
    );
    return outcome;
  }

  /** Queues tunnels and starts lanes for them; resolves once the queue is empty and no lane runs. */
  #enqueue(sessions: readonly WebSocketSession[]): Promise<void> {
    this.#queue.push(...sessions);
    // A lane takes its first tunnel as it starts, so this starts no more lanes than tunnels.
    while (this.#lanes < handoverLanes && this.#queue.length > 0) {
      this.#lanes++;
      void this.#lane();
    }
    if (this.#lanes === 0) return Promise.resolve();
    return new Promise((resolve) => this.#whenIdle.push(resolve));
  }

  async #lane(): Promise<void> {
    for (let session = this.#queue.shift(); session; session = this.#queue.shift())
      if (await this.#move(session)) this.#moved++;
    if (--this.#lanes === 0) for (const resolve of this.#whenIdle.splice(0)) resolve();
  }

  async #move(session: WebSocketSession): Promise<boolean> {
    const ready = await session.prepareHandover(handoverRestMs);
    if (!ready) return false;
    const adopted = await this.#send(ready).catch((err: unknown) => {
      this.#log.warn({ err, session: session.id }, 'handover failed, the tunnel stays with this worker');
      return false;
    });
    if (!adopted) {
      session.handoverFailed();
      return false;
    }
    const pending = session.handedOver();
    // A close the primary asked for while the tunnel moved: the successor holds it now.
    if (pending && isPrimaryCloseReason(pending.reason))
      this.#channel.send({
        type: 'close-moved',
        to: this.#successor,
        id: session.id,
        code: pending.code,
        reason: pending.reason,
      });
    return true;
  }

  async #send({ parcel, client, backend }: HandoverReady): Promise<boolean> {
    const clientHandle = streamHandleOf(client);
    const backendHandle = streamHandleOf(backend);
    if (!clientHandle || !backendHandle) return false;
    const { id } = parcel;
    this.#beforeSend();
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
