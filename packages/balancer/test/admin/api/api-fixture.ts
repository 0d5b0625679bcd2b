import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import type { AdminContext, LocalNodeView } from '../../../src/admin/admin-context.js';
import type { AdminRoute } from '../../../src/admin/admin-route.js';
import { createAdminServer } from '../../../src/admin/admin-server.js';
import type { Backend } from '../../../src/core/backend.js';
import type { ConnectionRecord } from '../../../src/core/session-record.js';
import { MemoryStateStore } from '../../../src/state/memory-state-store.js';
import type { DrainRecord, StateStore } from '../../../src/state/state-store.js';

export const token = 'a'.repeat(16) + '0123456789abcdef-._~';
export const t0 = Date.UTC(2026, 0, 1, 12);
/** Long enough that no test node expires. */
const nodeTtlMs = 24 * 3_600_000;

/** What a test sets of the node whose admin listener it talks to. */
export interface FixtureNode {
  degraded: boolean;
  backends: Backend[];
  drains: Map<string, DrainRecord>;
  unhealthy: string[];
  clusterLive: Map<string, number>;
  sessions: ConnectionRecord[];
}

/** An answer, its body parsed when it is JSON. */
export interface Answer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- parsed JSON, asserted field by field
}

/**
 * The admin listener over an in-memory store and a node the test describes, with the log lines
 * captured: the API as the primary serves it, on port 0.
 */
export class ApiFixture {
  at = t0;
  readonly now = (): number => this.at;
  readonly memory = new MemoryStateStore({ now: this.now });
  /** The store the API sees; a test may swap it for one that fails. */
  store: StateStore = this.memory;
  adminToken: string | undefined = token;
  readonly logs: Record<string, unknown>[] = [];
  readonly node: FixtureNode = {
    degraded: false,
    backends: [],
    drains: new Map(),
    unhealthy: [],
    clusterLive: new Map(),
    sessions: [],
  };
  #server: Server | undefined;
  #url = '';

  get url(): string {
    return this.#url;
  }

  get server(): Server {
    return this.#server!;
  }

  /** The context the primary would give, reading this fixture at each call. */
  readonly ctx: AdminContext = contextOf(this);

  /** Starts the real admin listener, or a server of `route` alone (to try other body limits). */
  async start(route?: AdminRoute): Promise<this> {
    this.#server = route
      ? createServer((req, res) => void route(req, res, new URL(req.url ?? '/', 'http://admin'), this.ctx))
      : createAdminServer(this.ctx);
    this.#server.listen(0, '127.0.0.1');
    await once(this.#server, 'listening');
    this.#url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    const closed = once(server, 'close');
    server.close();
    server.closeAllConnections();
    await closed;
  }

  local(): LocalNodeView {
    return {
      nodeId: 'n1',
      startedAt: t0 - 60_000,
      listen: '127.0.0.1:8080',
      admin: '127.0.0.1:9090',
      shuttingDown: false,
      workers: [
        { id: 1, pid: 101, state: 'serving' },
        { id: 2, pid: undefined, state: 'retiring' },
      ],
      controlPlane: { ...this.node, sessionsOpened: 42, reseeds: 0 },
    };
  }

  /** Registers backends in the store and in the node's membership, as a registry read would. */
  async backends(...ids: string[]): Promise<void> {
    for (const [index, id] of ids.entries()) {
      const backend: Backend = { id, url: `http://127.0.0.1:${3001 + index}`, weight: 1, state: 'active' };
      await this.memory.putBackend(backend);
      this.node.backends.push(backend);
    }
  }

  /** Announces a node, as its heartbeat would. */
  async heartbeat(id: string, degraded = false): Promise<void> {
    const info = { id, startedAt: this.at, pid: 4000, listen: `${id}:8080`, admin: `${id}:9090`, degraded };
    await this.memory.heartbeat(info, nodeTtlMs);
  }

  /** Opens `count` sessions on `backend` through node `node`'s worker `worker`. */
  async open(node: string, backend: string, count: number, worker = 1, startedAt = this.at): Promise<void> {
    const records = Array.from({ length: count }, (_, index): ConnectionRecord => ({
      id: `${node}-${backend}-${worker}-${startedAt}-${index}`,
      node,
      worker,
      backend,
      client: '10.0.0.1',
      route: 'balance',
      startedAt,
    }));
    await this.memory.recordConnections(node, records, []);
    if (node === 'n1') this.node.sessions.push(...records);
  }

  /** One request; `auth: false` sends no Authorization, a string sends that token. */
  call(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string>; auth?: string | false } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = { ...options.headers };
    const auth = options.auth ?? token;
    if (auth !== false) headers.authorization = `Bearer ${auth}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['content-type'] ??= 'application/json';
    }
    return send(`${this.#url}${path}`, method, headers, body);
  }

  /** The `admin mutation` log lines so far (accepted and refused). */
  mutationLogs(): Record<string, unknown>[] {
    return this.logs.filter((line) => String(line.msg).startsWith('admin mutation'));
  }
}

function contextOf(fixture: ApiFixture): AdminContext {
  const sink = new Writable({
    write: (chunk: Buffer, _encoding, done) => {
      for (const line of chunk.toString('utf8').split('\n')) if (line) fixture.logs.push(JSON.parse(line));
      done();
    },
  });
  return {
    log: pino({ level: 'info' }, sink),
    now: fixture.now,
    health: () => ({ listeningWorkers: 2, shuttingDown: false, degraded: fixture.node.degraded }),
    metricsText: () => Promise.resolve(''),
    local: () => fixture.local(),
    get store() {
      return fixture.store;
    },
    get adminToken() {
      return fixture.adminToken;
    },
    trafficHistory: () => [],
  };
}

function send(url: string, method: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false, signal: AbortSignal.timeout(5_000) });
    req.once('error', reject);
    req.once('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const isJson = String(res.headers['content-type']).startsWith('application/json') && text !== '';
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: isJson ? JSON.parse(text) : text });
      });
    });
    req.end(body);
  });
}

/** A store that answers like `store` except for the methods given. */
export function storeWith(store: StateStore, overrides: Partial<StateStore>): StateStore {
  return new Proxy(store, {
    get(target, key) {
      if (key in overrides) return overrides[key as keyof StateStore];
      const value: unknown = Reflect.get(target, key);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
