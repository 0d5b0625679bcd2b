import type { Logger } from 'pino';
import { createLogger } from '../logging/create-logger.js';
import { createProxyServer, type ProxyServer } from '../proxy/proxy-server.js';
import { BackendPool } from '../routing/backend-pool.js';
import type { MooringConfig } from '../config/schema.js';
import type { PrimaryToWorker, WorkerToPrimary } from './ipc-messages.js';
import { batchedSessionReports } from './session-reports.js';
import { parseWorkerInit } from './worker-init.js';
import { shutdownWorker } from './worker-shutdown.js';
import { HandoverReceiver } from './handover-receiver.js';
import { HandoverSender } from './handover-sender.js';
import type { StreamHandle } from '../proxy/websocket/socket-handle.js';

/** How a worker reaches its primary; in a cluster worker, the process's IPC channel. */
export interface PrimaryChannel {
  send(message: WorkerToPrimary): void;
  /** Sends and resolves once the message is handed to the channel (before the process exits). */
  sendLast(message: WorkerToPrimary): Promise<void>;
  /** Subscribes to the primary's messages (some carry a socket's handle); returns the function that unsubscribes. */
  onMessage(listener: (message: unknown, handle?: unknown) => void): () => void;
  /** Sends a message with a socket's handle (a tunnel handed over); rejects when it could not be sent. */
  sendHandle(message: WorkerToPrimary, handle: StreamHandle): Promise<void>;
}

/** What a worker needs from its process; the CLI's worker entry passes the real ones. */
export interface WorkerDeps {
  readonly channel: PrimaryChannel;
  /** The cluster worker id, for logs and the connection table. */
  readonly workerId: number;
  /** Ends the process with this code once the worker has stopped. */
  readonly exit: (code: number) => void;
}

/** The id of the metrics a stopping worker sends unasked: its last word. */
export const finalMetricsId = 0;

/** A running worker, as its entry sees it. */
export interface RunningWorker {
  /** The worker's logger, once `init` has arrived (for the entry's last-resort handlers). */
  readonly log: Logger | undefined;
}

/**
 * Runs one worker: asks the primary for its `init` (the validated configuration), builds the
 * proxy, applies state snapshots as they come, listens once it knows the membership, and stops
 * at the primary's word. Does nothing to the process itself beyond `deps`.
 */
export function runWorker(deps: WorkerDeps): RunningWorker {
  const running: { log: Logger | undefined } = { log: undefined };
  let worker: WorkerProcess | undefined;
  const unsubscribe = deps.channel.onMessage((message, handle) => {
    if (worker) return worker.onMessage(message as PrimaryToWorker, handle);
    // Broadcasts may reach a worker forked a moment ago, before its init: the state snapshot it
    // asks for right after init carries all they said. Only a shutdown cannot wait.
    const type = (message as { type?: unknown } | null)?.type;
    if (type === 'shutdown') return deps.exit(0);
    if (type !== 'init') return;
    const config = parseWorkerInit(message);
    worker = new WorkerProcess(config, deps, () => unsubscribe());
    running.log = worker.log;
    deps.channel.send({ type: 'ready-for-state' });
  });
  deps.channel.send({ type: 'ready-for-init' });
  return running;
}

/** One worker once configured: the proxy and its reactions to the primary's messages. */
class WorkerProcess {
  readonly log: Logger;
  readonly #deps: WorkerDeps;
  readonly #pool: BackendPool;
  readonly #proxy: ProxyServer;
  readonly #detach: () => void;
  readonly #reports: ReturnType<typeof batchedSessionReports>;
  readonly #receiver: HandoverReceiver;
  #sender: HandoverSender | undefined;
  #state: 'configured' | 'listening' | 'stopping' = 'configured';

  constructor(config: Readonly<MooringConfig>, deps: WorkerDeps, detach: () => void) {
    this.#deps = deps;
    this.#detach = detach;
    this.log = createLogger({ node: config.nodeId, worker: deps.workerId, level: config.logLevel });
    this.#pool = new BackendPool({ onFailure: (backend) => deps.channel.send({ type: 'backend-failed', backend }) });
    this.#pool.setBackends(config.backends);
    this.#reports = batchedSessionReports(config.nodeId, deps.workerId, (message) => deps.channel.send(message));
    this.#proxy = createProxyServer(config, this.#pool, this.log, {
      opened: (session) => {
        this.#reports.opened(session);
        // A handshake that was in flight when this worker began retiring: its tunnel moves too.
        this.#sender?.offer(session);
      },
      closed: (session) => this.#reports.closed(session),
    });
    this.#receiver = new HandoverReceiver(this.#proxy, (message) => deps.channel.send(message), this.log);
  }

  onMessage(message: PrimaryToWorker, handle?: unknown): void {
    switch (message?.type) {
      case 'shutdown':
        return void this.#stop(message.deadlineMs, message.closeCode, message.handOverTo);
      case 'adopt-socket':
        return this.#receiver.received(message, handle);
      case 'handover-result':
        return this.#sender?.answered(message.id, message.adopted);
      case 'backends':
        this.#pool.setBackends(message.backends);
        this.#proxy.backendsChanged(message.backends);
        return this.#listenOnce();
      case 'close-session':
        return void this.#proxy.closeSession(message.id, message.code, message.reason);
      case 'tls':
        return this.#proxy.tlsChanged(message.material);
      case 'rules':
        return this.#proxy.rulesChanged(message.rules);
      case 'metrics-request':
        return void this.#proxy.metrics
          .snapshot()
          .then((snapshot) => this.#deps.channel.send({ type: 'metrics', id: message.id, snapshot }));
      case 'counts':
        return this.#pool.setClusterCounts(
          new Map(Object.entries(message.total)),
          new Map(Object.entries(message.byWorker[this.#deps.workerId] ?? {})),
        );
      case 'health':
        return this.#pool.setUnhealthy(new Set(message.unhealthy));
      case 'rebalancing':
        return this.#pool.setRebalancing(message.holding);
    }
  }

  /**
   * Listens only with the current membership in hand, so that a new worker never answers 503
   * for backends the node already knows from the registry.
   */
  #listenOnce(): void {
    if (this.#state !== 'configured') return;
    this.#state = 'listening';
    this.#proxy.listeners.listen((server) => this.log.info({ address: server.address() }, 'worker listening'));
  }

  async #stop(deadlineMs: number, closeCode: number, successor: number | undefined): Promise<void> {
    if (this.#state === 'stopping') return;
    this.#state = 'stopping';
    this.#receiver.close();
    this.log.info(
      { deadlineMs, successor },
      successor === undefined
        ? 'worker stopping: no new connections, live ones until they end or the deadline'
        : 'worker stopping: no new connections; movable websockets go to the successor, the rest stay until they end or the deadline',
    );
    const handOver =
      successor === undefined
        ? undefined
        : () => {
            // The primary must know every session before it hears that one moved.
            const flush = (): void => this.#reports.flush();
            this.#sender = new HandoverSender(this.#proxy, this.#deps.channel, successor, this.log, flush);
            return this.#sender.run();
          };
    await shutdownWorker(this.#proxy, this.log, deadlineMs, closeCode, handOver);
    // What this worker counted since the primary's last scrape would die with it otherwise.
    await this.#deps.channel.sendLast({
      type: 'metrics',
      id: finalMetricsId,
      snapshot: await this.#proxy.metrics.snapshot(),
    });
    this.#detach();
    this.log.flush?.();
    this.#deps.exit(0);
  }
}
