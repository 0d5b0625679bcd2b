import { Redis } from 'ioredis';
import {
  closeClient,
  connectOrExplain,
  execPipeline,
  silentLogger,
  type StateLogger,
  unavailable,
  watchConnection,
} from './redis-connection.js';
import { RedisEventChannel } from './redis-event-channel.js';
import { commandClientOptions, subscriberClientOptions, type RedisClientTuning } from './redis-client-options.js';
import { DEFAULT_PREFIX, redisKeys, type RedisKeys } from './redis-keys.js';
import {
  acquireLeaseScript,
  applyConnectionsScript,
  heartbeatNodeScript,
  pruneNodeIndexScript,
  releaseLeaseScript,
  setDrainScript,
  touchNodeIndexScript,
} from './redis-scripts.js';
import { formatRegistryEntry, isMalformed, parseRegistryEntry } from './registry-entry.js';
import {
  compareConnections,
  compareText,
  decodeConnectionRecord,
  decodeDrainRecord,
  decodeHealthRecord,
  decodeNodeInfo,
} from './state-codec.js';
import { DEFAULT_ORPHAN_TTL_MS } from './state-defaults.js';
import { StateError } from './state-error.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type {
  DrainRecord,
  HealthRecord,
  LiveCounts,
  MalformedEntry,
  NodeInfo,
  RegisteredBackend,
  RegistrySnapshot,
  StateEvent,
  StateStore,
} from './state-store.js';

/** How often a drain update is tried again when its backend changed under it (practically never twice). */
const maxEditAttempts = 5;

/** What a drain update writes: the registry state, the drain terms (none: removed), and what it resolves with. */
interface DrainEdit<T> {
  readonly state: RegisteredBackend['state'];
  readonly drain: DrainRecord | undefined;
  readonly result: T;
}

/** Options of `new RedisStateStore(…)`; most callers use {@link RedisStateStore.connect}. */
export interface RedisStateStoreOptions {
  /** The command client, connected (or connecting) and failing fast (see commandClientOptions). */
  command: Redis;
  /** Makes the dedicated subscriber client, on the first `subscribe`; it must not be connected yet. */
  createSubscriber: () => Redis;
  /** Key prefix; default `mooring`. */
  prefix?: string;
  /** Clock for `heartbeatAt`; default Date.now. TTLs themselves are Redis's. */
  now?: () => number;
  /** How long a connection table written for a node with no live heartbeat is kept (never counted meanwhile). */
  orphanTtlMs?: number;
  logger?: StateLogger;
}

/** Options of {@link RedisStateStore.connect}. */
export interface RedisConnectOptions extends RedisClientTuning {
  /** `redis://[user:password@]host:port[/db]` or `rediss://…`. */
  url: string;
  prefix?: string;
  logger?: StateLogger;
  now?: () => number;
  orphanTtlMs?: number;
}

/**
 * The shared state in Redis (key layout: redis-keys.ts). Two clients, as DESIGN requires: a
 * command client that fails fast, so that a Redis outage costs a rejected promise rather than a
 * stalled proxy, and a subscriber for the events channel, created on the first `subscribe`.
 * Every failure of Redis rejects with a StateError coded MOORING_ERR_STATE_UNAVAILABLE.
 */
export class RedisStateStore implements StateStore {
  readonly #command: Redis;
  readonly #events: RedisEventChannel;
  readonly #keys: RedisKeys;
  readonly #now: () => number;
  readonly #orphanTtlMs: number;
  #closed = false;

  constructor(options: RedisStateStoreOptions) {
    const logger = options.logger ?? silentLogger;
    this.#command = options.command;
    this.#keys = redisKeys(options.prefix ?? DEFAULT_PREFIX);
    this.#events = new RedisEventChannel(options.createSubscriber, this.#keys.events(), logger);
    this.#now = options.now ?? Date.now;
    this.#orphanTtlMs = options.orphanTtlMs ?? DEFAULT_ORPHAN_TTL_MS;
    watchConnection(this.#command, 'command', logger);
    // Every 'ready' after the first is the connection coming back.
    let readies = this.#command.status === 'ready' ? 1 : 0;
    this.#command.on('ready', () => {
      if (++readies > 1) this.#reconnectCount++;
    });
  }

  #reconnectCount = 0;

  /** Times the command client's connection came back after it was lost. */
  get reconnects(): number {
    return this.#reconnectCount;
  }

  /**
   * Creates both clients' settings, connects the command client and resolves once Redis answers.
   * Rejects with MOORING_ERR_STATE_CONNECT (naming the URL, password redacted) when it does not;
   * afterwards the clients reconnect on their own for as long as the store is open.
   */
  static async connect(options: RedisConnectOptions): Promise<RedisStateStore> {
    const store = new RedisStateStore({
      command: new Redis(options.url, commandClientOptions(options)),
      createSubscriber: () => new Redis(options.url, subscriberClientOptions(options)),
      prefix: options.prefix,
      now: options.now,
      orphanTtlMs: options.orphanTtlMs,
      logger: options.logger,
    });
    await connectOrExplain(store.#command, options.url);
    return store;
  }

  /** True while the command client is connected and ready. */
  get available(): boolean {
    return !this.#closed && this.#command.status === 'ready';
  }

  readRegistry(): Promise<RegistrySnapshot> {
    return this.#run('readRegistry', async () => {
      const fields = await this.#command.hgetall(this.#keys.backends());
      const backends: RegisteredBackend[] = [];
      const malformed: MalformedEntry[] = [];
      for (const id of Object.keys(fields).sort(compareText)) {
        const entry = parseRegistryEntry(id, fields[id] ?? '');
        if (isMalformed(entry)) malformed.push(entry);
        else backends.push(entry);
      }
      return { backends, malformed };
    });
  }

  async putBackend(backend: RegisteredBackend): Promise<void> {
    // Validated before any I/O: a backend other nodes would refuse is never written.
    const value = formatRegistryEntry(backend);
    await this.#run('putBackend', async () => {
      const pipeline = this.#command.pipeline().hset(this.#keys.backends(), backend.id, value);
      await execPipeline(pipeline.publish(this.#keys.events(), JSON.stringify({ type: 'registry-changed' })));
    });
  }

  removeBackend(id: string): Promise<boolean> {
    return this.#run('removeBackend', async () => {
      // Its health goes with it, so the health hash never accumulates removed backends.
      const pipeline = this.#command
        .pipeline()
        .hdel(this.#keys.backends(), id)
        .hdel(this.#keys.health(), id)
        .hdel(this.#keys.drains(), id);
      const [removed] = await execPipeline(pipeline);
      if (removed !== 1) return false;
      await this.#command.publish(this.#keys.events(), JSON.stringify({ type: 'registry-changed' }));
      return true;
    });
  }

  readDrains(): Promise<Map<string, DrainRecord>> {
    return this.#run('readDrains', async () => {
      const drains = new Map<string, DrainRecord>();
      for (const [id, text] of Object.entries(await this.#command.hgetall(this.#keys.drains()))) {
        const record = decodeDrainRecord(text);
        if (record) drains.set(id, record);
      }
      return drains;
    });
  }

  drainBackend(id: string, drain: DrainRecord): Promise<DrainRecord | undefined> {
    return this.#run('drainBackend', () =>
      this.#editDrain<DrainRecord | undefined>(id, undefined, (previous) => {
        const recorded = { ...drain, startedAt: previous?.startedAt ?? drain.startedAt };
        return { state: 'draining', drain: recorded, result: recorded };
      }),
    );
  }

  undrainBackend(id: string): Promise<boolean> {
    return this.#run('undrainBackend', () =>
      this.#editDrain(id, false, () => ({ state: 'active', drain: undefined, result: true })),
    );
  }

  heartbeat(node: NodeInfo, ttlMs: number): Promise<boolean> {
    return this.#run('heartbeat', async () => {
      const heartbeatAt = this.#now();
      const info = JSON.stringify({ ...node, heartbeatAt });
      const { id } = node;
      // Info first, index second (same connection, so Redis runs them in this order): a reader
      // that sees the new score also sees the info, and never prunes a live node.
      const [continued] = await Promise.all([
        heartbeatNodeScript.run(
          this.#command,
          [this.#keys.nodeInfo(id), this.#keys.nodeConnections(id), this.#keys.nodeCounts(id)],
          [info, ttlMs],
        ),
        touchNodeIndexScript.run(this.#command, [this.#keys.nodes()], [id, heartbeatAt, ttlMs]),
      ]);
      return continued === 1;
    });
  }

  listNodes(): Promise<NodeInfo[]> {
    return this.#run('listNodes', () => this.#liveNodes());
  }

  removeNode(id: string): Promise<void> {
    return this.#run('removeNode', async () => {
      const nodeKeys = [this.#keys.nodeInfo(id), this.#keys.nodeConnections(id), this.#keys.nodeCounts(id)];
      await execPipeline(
        this.#command
          .pipeline()
          .del(...nodeKeys)
          .zrem(this.#keys.nodes(), id),
      );
    });
  }

  recordConnections(node: string, opened: readonly ConnectionRecord[], closed: readonly string[]): Promise<void> {
    return this.#run('recordConnections', async () => {
      if (opened.length > 0 || closed.length > 0) await this.#applyConnections(node, false, opened, closed);
    });
  }

  replaceConnections(node: string, live: readonly ConnectionRecord[]): Promise<void> {
    return this.#run('replaceConnections', () => this.#applyConnections(node, true, live, []));
  }

  listConnections(filter: { backend?: string; node?: string } = {}): Promise<ConnectionRecord[]> {
    return this.#run('listConnections', async () => {
      const nodes = (await this.#liveNodes()).filter((info) => filter.node === undefined || info.id === filter.node);
      const pipeline = this.#command.pipeline();
      for (const info of nodes) pipeline.hgetall(this.#keys.nodeConnections(info.id));
      const tables = nodes.length > 0 ? await execPipeline(pipeline) : [];
      const records: ConnectionRecord[] = [];
      for (const table of tables) {
        for (const text of Object.values(table as Record<string, string>)) {
          const record = decodeConnectionRecord(text);
          if (record && (filter.backend === undefined || record.backend === filter.backend)) records.push(record);
        }
      }
      return records.sort(compareConnections);
    });
  }

  liveCounts(): Promise<LiveCounts> {
    return this.#run('liveCounts', async () => {
      const nodes = await this.#liveNodes();
      const pipeline = this.#command.pipeline();
      for (const info of nodes) pipeline.hgetall(this.#keys.nodeCounts(info.id));
      const tables = nodes.length > 0 ? await execPipeline(pipeline) : [];
      const total = new Map<string, number>();
      const perNode = new Map<string, Map<string, number>>();
      nodes.forEach((info, index) => {
        const counts = parseCounts(tables[index] as Record<string, string>);
        perNode.set(info.id, counts);
        for (const [backend, count] of counts) total.set(backend, (total.get(backend) ?? 0) + count);
      });
      return { total, perNode };
    });
  }

  acquireLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    return this.#run(
      'acquireLease',
      async () => (await acquireLeaseScript.run(this.#command, [this.#keys.lease(name)], [holder, ttlMs])) === 1,
    );
  }

  releaseLease(name: string, holder: string): Promise<void> {
    return this.#run(
      'releaseLease',
      async () => void (await releaseLeaseScript.run(this.#command, [this.#keys.lease(name)], [holder])),
    );
  }

  /** Merges `records` into the shared health (fields of other backends stay); announces nothing. */
  writeHealth(records: ReadonlyMap<string, HealthRecord>): Promise<void> {
    return this.#run('writeHealth', async () => {
      if (records.size === 0) return;
      const fields = new Map([...records].map(([backend, record]) => [backend, JSON.stringify(record)] as const));
      await this.#command.hset(this.#keys.health(), fields);
    });
  }

  readHealth(): Promise<Map<string, HealthRecord>> {
    return this.#run('readHealth', async () => {
      const fields = await this.#command.hgetall(this.#keys.health());
      const health = new Map<string, HealthRecord>();
      for (const [backend, text] of Object.entries(fields)) {
        const record = decodeHealthRecord(text);
        if (record) health.set(backend, record);
      }
      return health;
    });
  }

  publish(event: StateEvent): Promise<void> {
    return this.#run(
      'publish',
      async () => void (await this.#command.publish(this.#keys.events(), JSON.stringify(event))),
    );
  }

  /** See RedisEventChannel.subscribe: resolves once subscribed; re-read prompts after a reconnect. */
  async subscribe(listener: (event: StateEvent) => void): Promise<() => Promise<void>> {
    this.#assertOpen();
    return this.#events.subscribe(listener);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([this.#events.close(), closeClient(this.#command)]);
  }

  async #liveNodes(): Promise<NodeInfo[]> {
    const flat = await this.#command.zrange(this.#keys.nodes(), 0, -1, 'WITHSCORES');
    const members: { id: string; score: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) members.push({ id: flat[i] as string, score: flat[i + 1] as string });
    if (members.length === 0) return [];
    const pipeline = this.#command.pipeline();
    for (const { id } of members) pipeline.get(this.#keys.nodeInfo(id));
    const infos = await execPipeline(pipeline);
    const live: NodeInfo[] = [];
    const stale: string[] = [];
    members.forEach(({ id, score }, index) => {
      const text = infos[index] as string | null;
      // No info key: its TTL ran out, the node is dead. Info that does not decode is skipped, not pruned.
      if (text === null) stale.push(id, score);
      const info = text === null ? undefined : decodeNodeInfo(text);
      if (info) live.push({ ...info, id });
    });
    if (stale.length > 0) await pruneNodeIndexScript.run(this.#command, [this.#keys.nodes()], stale);
    return live.sort((a, b) => compareText(a.id, b.id));
  }

  async #applyConnections(
    node: string,
    replace: boolean,
    opened: readonly ConnectionRecord[],
    closed: readonly string[],
  ): Promise<void> {
    const keys = [this.#keys.nodeConnections(node), this.#keys.nodeCounts(node), this.#keys.nodeInfo(node)];
    const args: (string | number)[] = [replace ? '1' : '0', this.#orphanTtlMs, opened.length];
    for (const record of opened) args.push(record.id, record.backend, JSON.stringify(record));
    args.push(...closed);
    await applyConnectionsScript.run(this.#command, keys, args);
  }

  /**
   * Reads a backend's entry and drain, then writes both and announces the change in one script
   * (setDrainScript). The script refuses when a field changed after the read (an operator's
   * `backend add` or a second drain meanwhile); the edit is then made again on what is there
   * now, so a concurrent change is never overwritten with a stale copy.
   */
  async #editDrain<T>(id: string, unregistered: T, edit: (drain: DrainRecord | undefined) => DrainEdit<T>): Promise<T> {
    const backends = this.#keys.backends();
    const drains = this.#keys.drains();
    for (let attempt = 1; ; attempt += 1) {
      const read = await execPipeline(this.#command.pipeline().hget(backends, id).hget(drains, id));
      const [entryText, drainText] = read as (string | null)[];
      // A malformed entry is no backend to the nodes either.
      const entry = entryText == null ? undefined : parseRegistryEntry(id, entryText);
      if (entryText == null || !entry || isMalformed(entry)) return unregistered;
      const change = edit(drainText == null ? undefined : decodeDrainRecord(drainText));
      const args = [
        id,
        entryText,
        drainText ?? '',
        formatRegistryEntry({ ...entry, state: change.state }),
        change.drain ? JSON.stringify(change.drain) : '',
        this.#keys.events(),
        JSON.stringify({ type: 'registry-changed' }),
      ];
      if ((await setDrainScript.run(this.#command, [backends, drains], args)) === 1) return change.result;
      if (attempt === maxEditAttempts) {
        const message = `backend ${JSON.stringify(id)} kept changing during a drain update`;
        throw new StateError('MOORING_ERR_STATE_UNAVAILABLE', message);
      }
    }
  }

  /** Runs one operation, turning any Redis failure into MOORING_ERR_STATE_UNAVAILABLE. */
  async #run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    try {
      return await body();
    } catch (err) {
      throw err instanceof StateError ? err : unavailable(operation, err);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw new StateError('MOORING_ERR_STATE_CLOSED');
  }
}

/** A node's counts hash as numbers; anything not a positive integer is left out. */
function parseCounts(fields: Record<string, string> | undefined): Map<string, number> {
  const counts = new Map<string, number>();
  for (const [backend, text] of Object.entries(fields ?? {})) {
    const count = Number(text);
    if (Number.isSafeInteger(count) && count > 0) counts.set(backend, count);
  }
  return counts;
}
