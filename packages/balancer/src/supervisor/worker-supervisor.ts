import cluster, { type Worker } from 'node:cluster';
import { once } from 'node:events';
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import type { WorkerView } from '../admin/admin-context.js';
import { listen, type Unsubscribe } from '../core/listener.js';
import { reloadListenTimeoutMs, shutdownKillSlackMs, stableLifetimeMs } from '../core/timings.js';
import type { MooringConfig } from '../config/schema.js';
import { respawnDelay } from './respawn-backoff.js';
import type { PrimaryToWorker, WorkerToPrimary } from './ipc-messages.js';
import { workerExecArgv } from './worker-exec-argv.js';

/**
 * Keeps `config.workers` workers serving: forks them, replaces one that dies (the others and
 * their connections are not touched), and on reload replaces them one at a time, each new
 * worker listening before its predecessor stops accepting. Retired workers keep their live
 * WebSockets until they end or the deadline.
 */
export class WorkerSupervisor {
  readonly #log: Logger;
  #config: Readonly<MooringConfig>;
  readonly #workerEntry: string;
  readonly #serving = new Set<number>();
  readonly #listening = new Set<number>();
  readonly #retiring = new Set<number>();
  readonly #startedAt = new Map<number, number>();
  readonly #respawns = new Set<NodeJS.Timeout>();
  readonly #unsubscribe: Unsubscribe[];
  #quickDeaths = 0;
  #restarts = 0;
  #state: 'running' | 'stopping' | 'closed' = 'running';

  /** `workerEntry`: the script a worker process runs (the CLI's worker entry). */
  constructor(config: Readonly<MooringConfig>, log: Logger, workerEntry: string) {
    this.#config = config;
    this.#log = log;
    cluster.schedulingPolicy = config.scheduling === 'rr' ? cluster.SCHED_RR : cluster.SCHED_NONE;
    this.#workerEntry = workerEntry;
    this.#unsubscribe = [
      listen(cluster, 'listening', (worker: Worker) => this.#listening.add(worker.id)),
      listen(cluster, 'exit', (worker: Worker, code: number | null, signal: string | null) =>
        this.#onExit(worker, code, signal),
      ),
      // A worker's IPC error (its channel closing under a send) must never be an uncaught 'error' here.
      listen(cluster, 'fork', (worker: Worker) =>
        worker.on('error', (err) => this.#log.warn({ err, workerId: worker.id }, 'worker channel error')),
      ),
    ];
  }

  /** Workers replaced after they died (not retired ones). */
  get restarts(): number {
    return this.#restarts;
  }

  /** Workers alive now, serving or retiring. */
  get aliveCount(): number {
    return this.#serving.size + this.#retiring.size;
  }

  /** The workers alive now, with their pid and whether they serve or retire. */
  views(): WorkerView[] {
    const view = (id: number, state: WorkerView['state']): WorkerView => ({
      id,
      pid: cluster.workers?.[id]?.process.pid,
      state,
    });
    return [
      ...[...this.#serving].map((id) => view(id, 'serving')),
      ...[...this.#retiring].map((id) => view(id, 'retiring')),
    ];
  }

  /** Ids of the workers alive now, serving or retiring. */
  aliveIds(): number[] {
    return [...this.#serving, ...this.#retiring];
  }

  /** Workers that serve new connections now. */
  get listeningCount(): number {
    return [...this.#listening].filter((id) => this.#serving.has(id)).length;
  }

  startAll(): void {
    for (let i = 0; i < this.#config.workers; i++) this.#fork();
  }

  send(worker: number, message: PrimaryToWorker): void {
    const target = cluster.workers?.[worker];
    // A worker can be exiting while it still looks connected. With a callback, a closed channel
    // is reported to it; without one, the worker would emit 'error' and take the primary down.
    if (target?.isConnected())
      target.send(
        message,
        (err: Error | null) =>
          err && this.#log.debug({ err, workerId: worker }, 'message to an exiting worker dropped'),
      );
  }

  broadcast(message: PrimaryToWorker): void {
    for (const id of [...this.#serving, ...this.#retiring]) this.send(id, message);
  }

  /**
   * SIGHUP: replace every worker, one at a time, with one running `next`; each retiring worker
   * hands its movable WebSockets to the worker that replaces it.
   */
  async reload(next: Readonly<MooringConfig>): Promise<void> {
    this.#config = next;
    const old = [...this.#serving];
    for (const id of old) {
      const fresh = this.#fork();
      await once(fresh, 'listening', { signal: AbortSignal.timeout(reloadListenTimeoutMs) });
      this.#retire(id, fresh.id);
    }
    // A changed worker count: add or retire the difference (to the first worker that stays).
    for (let extra = this.#serving.size; extra < next.workers; extra++) this.#fork();
    const [heir, ...rest] = [...this.#serving];
    for (const id of rest.slice(Math.max(0, next.workers - 1))) this.#retire(id, heir);
    this.#log.info({ workers: this.#serving.size }, 'reload complete');
  }

  /**
   * SIGTERM: every worker stops accepting and closes what is left at the deadline; resolves when
   * all have exited (SIGKILL for any still there 5 s after the deadline). Then the supervisor's
   * listeners are removed.
   */
  async close(deadlineMs: number, closeCode: number): Promise<void> {
    if (this.#state !== 'running') return;
    this.#state = 'stopping';
    this.#clearRespawns();
    const workers = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined);
    for (const worker of workers) this.send(worker.id, { type: 'shutdown', deadlineMs, closeCode });
    const killer = setTimeout(
      () => workers.forEach((worker) => worker.process.kill('SIGKILL')),
      deadlineMs + shutdownKillSlackMs,
    );
    await Promise.all(workers.map((worker) => (worker.isDead() ? undefined : once(worker, 'exit'))));
    clearTimeout(killer);
    this.#detach();
  }

  /** Kills every worker now and removes the listeners. */
  destroy(): void {
    this.#clearRespawns();
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    this.#detach();
  }

  #detach(): void {
    this.#state = 'closed';
    for (const unsubscribe of this.#unsubscribe.splice(0)) unsubscribe();
  }

  #clearRespawns(): void {
    for (const timer of this.#respawns) clearTimeout(timer);
    this.#respawns.clear();
  }

  #fork(): Worker {
    // The configuration goes over IPC, not the environment: the cookie secret must not sit in
    // every worker's /proc/PID/environ. The worker asks for it once it listens for messages.
    // Set before each fork: a reload may have changed the worker heap settings.
    const heap = { semiSpaceMiB: this.#config.workerSemiSpace, oldSpaceFloorMiB: this.#config.workerOldSpaceFloor };
    cluster.setupPrimary({
      exec: this.#workerEntry,
      execArgv: workerExecArgv(heap, process.execArgv, process.env.NODE_OPTIONS),
    });
    const worker = cluster.fork();
    // Workers never need the admin token (the primary answers the admin API) nor the Redis
    // secrets (only the primary talks to Redis): they stay out of the processes that parse
    // untrusted traffic.
    const secrets = { adminToken: undefined, adminTokenFile: undefined, redisSentinelPassword: undefined };
    const config = { ...this.#config, ...secrets, redisCa: undefined };
    const onMessage = (message: WorkerToPrimary): void => {
      if (message?.type !== 'ready-for-init') return;
      worker.off('message', onMessage);
      this.send(worker.id, { type: 'init', config });
    };
    worker.on('message', onMessage);
    this.#serving.add(worker.id);
    this.#startedAt.set(worker.id, Date.now());
    return worker;
  }

  #retire(id: number, successor: number | undefined): void {
    this.#serving.delete(id);
    this.#retiring.add(id);
    this.#log.info(
      { workerId: id, successor },
      'retiring worker: it stops accepting and hands its movable websockets over; the others stay until they end or the deadline',
    );
    this.send(id, {
      type: 'shutdown',
      deadlineMs: this.#config.shutdownDeadline,
      closeCode: this.#config.closeCode,
      handOverTo: successor,
    });
  }

  /**
   * Passes one socket of a tunnel from a retiring worker to its successor. The primary only
   * carries the handle: it never wraps it in a socket (that would read from it) and closes its
   * own copy of the descriptor once it is on its way. Whatever goes wrong here is a refusal for
   * the retiring worker, which then keeps the tunnel.
   */
  relayHandover(from: number, message: Extract<WorkerToPrimary, { type: 'handover-socket' }>, handle: unknown): void {
    const { to, ...socket } = message;
    const target = cluster.workers?.[to];
    const closeOurCopy = (): void => (handle as { close?: () => void } | undefined)?.close?.();
    const refuse = (why: string): void => {
      closeOurCopy();
      this.#log.warn({ session: message.id, from, to, reason: why }, 'tunnel handover not relayed');
      this.send(from, { type: 'handover-result', id: message.id, adopted: false });
    };
    if (handle === undefined || handle === null) return refuse('the message carried no socket');
    if (!target?.isConnected() || !this.#serving.has(to)) return refuse('the successor is not serving');
    target.send({ ...socket, type: 'adopt-socket', from }, handle as Socket, {}, (err: Error | null) => {
      if (err) return refuse(err.message);
      closeOurCopy();
    });
  }

  #onExit(worker: Worker, code: number | null, signal: string | null): void {
    this.#listening.delete(worker.id);
    const lifetime = Date.now() - (this.#startedAt.get(worker.id) ?? Date.now());
    this.#startedAt.delete(worker.id);
    if (this.#retiring.delete(worker.id))
      return void this.#log.info({ workerId: worker.id, code }, 'retired worker exited');
    this.#serving.delete(worker.id);
    if (this.#state !== 'running') return;
    this.#restarts++;
    this.#quickDeaths = lifetime < stableLifetimeMs ? this.#quickDeaths + 1 : 0;
    const delayMs = respawnDelay(lifetime, this.#quickDeaths - 1);
    this.#log.warn(
      { workerId: worker.id, workerPid: worker.process.pid, code, signal, lifetimeMs: lifetime, respawnInMs: delayMs },
      'worker exited, replacing it',
    );
    const timer = setTimeout(() => {
      this.#respawns.delete(timer);
      if (this.#state === 'running') this.#fork();
    }, delayMs);
    this.#respawns.add(timer);
  }
}
