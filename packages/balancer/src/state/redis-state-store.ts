import { ReplyError } from 'ioredis';
import { describeRedisTarget, parseRedisUrl, redactRedisUrl, type RedisTarget } from '../config/redis-url.js';
import { redisClientFactory, type RedisClientFactory } from './redis-clients.js';
import {
  closeClient,
  connectOrExplain,
  execPipeline,
  type RedisClient,
  silentLogger,
  type StateLogger,
  unavailable,
  watchConnection,
} from './redis-connection.js';
import { DEFAULT_CONNECT_TIMEOUT_MS, type RedisClientTuning } from './redis-client-options.js';
import { editDrain } from './redis-drain-edit.js';
import { RedisEventChannel } from './redis-event-channel.js';
import { DEFAULT_PREFIX, redisKeys, type RedisKeys } from './redis-keys.js';
import { migrateLegacyLayout, type LegacyMigration } from './redis-legacy-layout.js';
import {
  acquireLeaseScript,
  applyConnectionsScript,
  heartbeatNodeScript,
  pruneNodeIndexScript,
  publishScript,
  releaseLeaseScript,
  touchNodeIndexScript,
} from './redis-scripts.js';
import {
  leaseBackend,
  leaseRemaining,
  purgeLapsedLeases,
  putOperatorBackend,
  releaseBackendLease,
} from './redis-backend-leases.js';
import { claimMarker, parseDrains, parseRegistry, readShared, reseed } from './redis-shared-state.js';
import type { BackendLease, LeaseOutcome } from './backend-lease.js';
import { formatRegistryEntry } from './registry-entry.js';
import {
  compareConnections,
  compareText,
  decodeConnectionRecord,
  decodeHealthRecord,
  decodeNodeInfo,
  decodeRebalanceRecord,
} from './state-codec.js';
import { DEFAULT_ORPHAN_TTL_MS } from './state-defaults.js';
import { StateError } from './state-error.js';
import type { ConnectionRecord } from '../core/session-record.js';
import type {
  DrainRecord,
  HealthRecord,
  LiveCounts,
  NodeInfo,
  RebalanceRecord,
  RegisteredBackend,
  RegistrySnapshot,
  SharedSnapshot,
  StateEvent,
  StateMarker,
  StateSeed,
  StateStore,
} from './state-store.js';

/** Options of `new RedisStateStore(…)`; most callers use {@link RedisStateStore.connect}. */
export interface RedisStateStoreOptions {
  /** The command client, connected (or connecting) and failing fast (see redis-clients.ts). */
  command: RedisClient;
  /** Makes the dedicated subscriber client, on the first `subscribe`; it must not be connected yet. */
  createSubscriber: () => RedisClient;
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
  /**
   * `redis://[user:password@]host:port[/db]`, `rediss://…` (TLS),
   * `redis+sentinel://[user:password@]host:port[,host:port…]/MASTER_NAME[/db]` or
   * `redis+cluster://[user:password@]host:port[,host:port…]`.
   */
  url: string;
  /** PEM CA bundle for `rediss://` (the file's contents, not its path). */
  tlsCa?: string | Buffer;
  /** The sentinels' own password, for `redis+sentinel://`. */
  sentinelPassword?: string;
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
  readonly #command: RedisClient;
  readonly #events: RedisEventChannel;
  readonly #keys: RedisKeys;
  readonly #now: () => number;
  readonly #orphanTtlMs: number;
  #closed = false;
  #reconnectCount = 0;
  /** Whether the last command got an answer (a Redis error is an answer; a timeout or a lost connection is not). */
  #answered = true;

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
      this.#answered = true;
      if (++readies > 1) this.#reconnectCount++;
    });
  }

  /** Times the command client's connection came back after it was lost. */
  get reconnects(): number {
    return this.#reconnectCount;
  }

  /**
   * The target a `--redis` URL names. Throws MOORING_ERR_STATE_URL_INVALID with the reason (never
   * echoing a password): the CLI checks a URL this way before it contacts anything.
   */
  static parseUrl(url: string): RedisTarget {
    const parsed = parseRedisUrl(url);
    if (parsed.ok) return parsed.target;
    throw new StateError(
      'MOORING_ERR_STATE_URL_INVALID',
      `${parsed.reason}, got ${JSON.stringify(redactRedisUrl(url))}`,
    );
  }

  /**
   * Creates both clients for the URL's topology, connects the command client and resolves once
   * Redis answers. Rejects with MOORING_ERR_STATE_URL_INVALID for a URL of no known form, and with
   * MOORING_ERR_STATE_CONNECT (naming the target, password redacted) when Redis does not answer
   * within three connect timeouts; afterwards the clients reconnect on their own while the store is open.
   */
  static async connect(options: RedisConnectOptions): Promise<RedisStateStore> {
    const { store, where } = RedisStateStore.#create(options);
    await connectOrExplain(store.#command, where, 3 * (options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS));
    return store;
  }

  /**
   * The store at once, its command client connecting in the background: for a node whose Redis
   * is unreachable at start, which starts degraded and catches up when Redis answers.
   */
  static connectInBackground(options: RedisConnectOptions): RedisStateStore {
    const { store } = RedisStateStore.#create(options);
    store.#command.connect().catch(() => {});
    return store;
  }

  static #create(options: RedisConnectOptions): { store: RedisStateStore; where: string } {
    const target = RedisStateStore.parseUrl(options.url);
    const clients: RedisClientFactory = redisClientFactory(
      { target, tlsCa: options.tlsCa, sentinelPassword: options.sentinelPassword },
      options,
    );
    const store = new RedisStateStore({
      command: clients.command(),
      createSubscriber: () => clients.subscriber(),
      prefix: options.prefix,
      now: options.now,
      orphanTtlMs: options.orphanTtlMs,
      logger: options.logger,
    });
    return { store, where: describeRedisTarget(target) };
  }

  /** True while the command client is connected and its last command got an answer. */
  get available(): boolean {
    return !this.#closed && this.#command.status === 'ready' && this.#answered;
  }

  readRegistry(): Promise<RegistrySnapshot> {
    return this.#run('readRegistry', async () => parseRegistry(await this.#command.hgetall(this.#keys.backends())));
  }

  async putBackend(backend: RegisteredBackend): Promise<boolean> {
    // Validated before any I/O: a backend other nodes would refuse is never written.
    formatRegistryEntry(backend);
    // One script in the registry's slot: the check of the lease, the write and the PUBLISH together.
    return await this.#run('putBackend', () => putOperatorBackend(this.#command, this.#keys, backend));
  }

  async leaseBackend(backend: RegisteredBackend, lease: BackendLease): Promise<LeaseOutcome> {
    formatRegistryEntry({ ...backend, lease });
    return await this.#run('leaseBackend', () => leaseBackend(this.#command, this.#keys, backend, lease));
  }

  releaseBackendLease(id: string, holder: string): Promise<boolean> {
    return this.#run('releaseBackendLease', () => releaseBackendLease(this.#command, this.#keys, id, holder));
  }

  readLeases(): Promise<Map<string, number>> {
    return this.#run('readLeases', async () => {
      const { backends } = parseRegistry(await this.#command.hgetall(this.#keys.backends()));
      return leaseRemaining(
        this.#command,
        this.#keys,
        backends.filter((backend) => backend.lease),
      );
    });
  }

  purgeLapsedLeases(ids: readonly string[]): Promise<string[]> {
    return this.#run('purgeLapsedLeases', () => purgeLapsedLeases(this.#command, this.#keys, ids));
  }

  removeBackend(id: string): Promise<boolean> {
    return this.#run('removeBackend', async () => {
      // Its health goes with it, so the health hash never accumulates removed backends; its lease too.
      const pipeline = this.#command
        .pipeline()
        .hdel(this.#keys.backends(), id)
        .hdel(this.#keys.health(), id)
        .hdel(this.#keys.drains(), id)
        .del(this.#keys.backendLease(id));
      const [removed] = await execPipeline(pipeline);
      if (removed !== 1) return false;
      await this.#announce({ type: 'registry-changed' });
      return true;
    });
  }

  readDrains(): Promise<Map<string, DrainRecord>> {
    return this.#run('readDrains', async () => parseDrains(await this.#command.hgetall(this.#keys.drains())));
  }

  drainBackend(id: string, drain: DrainRecord): Promise<DrainRecord | undefined> {
    return this.#run('drainBackend', () =>
      editDrain<DrainRecord | undefined>(this.#command, this.#keys, id, undefined, (previous) => {
        const recorded = { ...drain, startedAt: previous?.startedAt ?? drain.startedAt };
        return { state: 'draining', drain: recorded, result: recorded };
      }),
    );
  }

  undrainBackend(id: string): Promise<boolean> {
    return this.#run('undrainBackend', () =>
      editDrain(this.#command, this.#keys, id, false, () => ({ state: 'active', drain: undefined, result: true })),
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
      // Two commands, not one pipeline: the node's keys and the index live in different slots.
      await Promise.all([this.#command.del(...nodeKeys), this.#command.zrem(this.#keys.nodes(), id)]);
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
      // One command per node (each node's table has a slot of its own), all sent at once.
      const tables = await Promise.all(nodes.map((info) => this.#command.hgetall(this.#keys.nodeConnections(info.id))));
      const records: ConnectionRecord[] = [];
      for (const table of tables) {
        for (const text of Object.values(table)) {
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
      const tables = await Promise.all(nodes.map((info) => this.#command.hgetall(this.#keys.nodeCounts(info.id))));
      const total = new Map<string, number>();
      const perNode = new Map<string, Map<string, number>>();
      nodes.forEach((info, index) => {
        const counts = parseCounts(tables[index]);
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

  readShared(): Promise<SharedSnapshot> {
    return this.#run('readShared', () => readShared(this.#command, this.#keys));
  }

  claimMarker(marker: StateMarker): Promise<StateMarker> {
    return this.#run('claimMarker', () => claimMarker(this.#command, this.#keys, marker));
  }

  async reseed(seed: StateSeed, marker: StateMarker, expected: string | undefined): Promise<boolean> {
    // Validated before any I/O, as putBackend: a backend other nodes would refuse is never written.
    for (const backend of seed.backends) formatRegistryEntry(backend);
    return await this.#run('reseed', () => reseed(this.#command, this.#keys, seed, marker, expected));
  }

  /**
   * Moves what the layout before Redis Cluster support kept under other names (drains and health:
   * `<prefix>:drains` → `{<prefix>:backends}:drains`…) once, at a node's start; see
   * redis-legacy-layout.ts. Resolves with what was moved.
   */
  migrateLegacyLayout(): Promise<LegacyMigration> {
    return this.#run('migrateLegacyLayout', () => migrateLegacyLayout(this.#command, this.#keys));
  }

  writeRebalance(record: RebalanceRecord, ttlMs: number): Promise<void> {
    return this.#run('writeRebalance', async () => {
      await this.#command.set(this.#keys.rebalance(), JSON.stringify(record), 'PX', Math.max(1, Math.round(ttlMs)));
    });
  }

  readRebalance(): Promise<RebalanceRecord | undefined> {
    return this.#run('readRebalance', async () => {
      const text = await this.#command.get(this.#keys.rebalance());
      return text === null ? undefined : decodeRebalanceRecord(text);
    });
  }

  publish(event: StateEvent): Promise<void> {
    return this.#run('publish', async () => void (await this.#announce(event)));
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

  /** PUBLISHes from the registry's slot, as the scripts do (see publishScript): a publisher's events stay in order. */
  async #announce(event: StateEvent): Promise<void> {
    await publishScript.run(this.#command, [this.#keys.backends()], [this.#keys.events(), JSON.stringify(event)]);
  }

  async #liveNodes(): Promise<NodeInfo[]> {
    const flat = await this.#command.zrange(this.#keys.nodes(), 0, -1, 'WITHSCORES');
    const members: { id: string; score: string }[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) members.push({ id: flat[i] as string, score: flat[i + 1] as string });
    if (members.length === 0) return [];
    const infos = await Promise.all(members.map(({ id }) => this.#command.get(this.#keys.nodeInfo(id))));
    const live: NodeInfo[] = [];
    const stale: string[] = [];
    members.forEach(({ id, score }, index) => {
      const text = infos[index] ?? null;
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

  /** Runs one operation, turning any Redis failure into MOORING_ERR_STATE_UNAVAILABLE. */
  async #run<T>(operation: string, body: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    try {
      const result = await body();
      this.#answered = true;
      return result;
    } catch (err) {
      // A Redis error reply (WRONGTYPE…) or our own refusal still means Redis answered.
      this.#answered = err instanceof ReplyError || err instanceof StateError;
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
