import { z } from 'zod';
import { parseCidr } from './cidr.js';
import { backendDefaults, configDefaults as defaults } from './defaults.js';
import { parseDuration } from './duration.js';
import { parseHostPort } from './host-port.js';
import { parseRedisUrl } from './redis-url.js';
import { isSendableCloseCode, sendableCloseCodesText } from '../protocol/close-codes.js';
import { parseHashKeySpec } from '../routing/hash-key.js';

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const ms = parseDuration(value);
    if (ms === undefined) {
      const message = `expected ${what} such as 500ms, 10s or 2m, got ${JSON.stringify(value)}`;
      ctx.addIssue({ code: 'custom', message });
      return z.NEVER;
    }
    return ms;
  });

/** A file path as given (relative to the working directory); its contents are read and checked at start. */
const filePath = z.string().min(1, 'expected a file path');

/**
 * An admin token as written (a file's trailing newline dropped): a bearer token as RFC 6750 §2.1
 * spells one (b64token), at least 32 characters so that it cannot be guessed. The message never
 * quotes the value.
 */
export const adminTokenText = z
  .string()
  .transform((text) => text.replace(/\r?\n$/, ''))
  .refine(
    (text) => text.length >= 32 && /^[A-Za-z0-9\-._~+/]+=*$/.test(text),
    'expected a token of at least 32 characters: letters, digits and -._~+/= (e.g. openssl rand -hex 32)',
  );

/** What a refused `redis` value is told it may be instead. */
const redisUrlForms =
  '(forms: redis://HOST:PORT, rediss://HOST:PORT, redis+sentinel://HOST:PORT[,HOST:PORT…]/MASTER, ' +
  'redis+cluster://HOST:PORT[,HOST:PORT…])';

const hostPort = z.string().transform((value, ctx) => {
  const parsed = parseHostPort(value);
  if (!parsed) {
    const message = `expected HOST:PORT such as 127.0.0.1:8080, got ${JSON.stringify(value)}`;
    ctx.addIssue({ code: 'custom', message });
    return z.NEVER;
  }
  return parsed;
});

const backendId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected a backend id of letters, digits, ".", "_" or "-" (at most 64)');

/** A backend URL: http:// or https://, origin only. */
export const backendUrl = z.string().refine((text) => {
  try {
    const url = new URL(text);
    const originOnly = (url.pathname === '/' || url.pathname === '') && !url.search;
    const scheme = url.protocol === 'http:' || url.protocol === 'https:';
    return scheme && url.hostname !== '' && url.username === '' && url.password === '' && originOnly;
  } catch {
    return false;
  }
}, 'expected an http:// or https:// origin such as http://127.0.0.1:3000 (no path, query or credentials)');

/** One backend as configured in a file, a flag or the Redis registry. */
export const backendSchema = z.strictObject({
  /** Stable name of the backend: in cookies, logs, metrics and the registry. */
  id: backendId,
  /** Where it listens, an http:// or https:// origin (https: TLS verified, see backendCa); kept as the origin only. */
  url: backendUrl.transform((text) => new URL(text).origin),
  /** Share of new sessions relative to the other backends (1 to 1000). */
  weight: z.number().int().min(1).max(1000).default(backendDefaults.weight),
  /** `draining` takes no new sessions; live ones continue. */
  state: z.enum(['active', 'draining']).default(backendDefaults.state),
});

const cidr = z
  .string()
  .refine((text) => parseCidr(text) !== undefined, 'expected a CIDR such as 10.0.0.0/8 or ::1/128');

/**
 * The whole configuration of a node. Every option is documented here and in the README
 * ("Configuration reference"); unknown keys are refused so that a typo never silently falls
 * back to a default. Defaults come from defaults.ts. Addresses and durations take theirs with
 * `prefault`: the default is the text an operator would write (`10s`), parsed as theirs is.
 */
export const configSchema = z
  .strictObject({
    /** Where clients connect (HOST:PORT). */
    listen: hostPort.prefault(defaults.listen.value),
    /** Admin listener: /healthz, /readyz. Keep it off the public interface. */
    admin: hostPort.prefault(defaults.admin.value),
    /** Where clients connect over TLS (HOST:PORT); needs at least one certificate. Absent: no TLS listener. */
    listenTls: hostPort.optional(),
    /** PEM certificate files (each with its chain) of the TLS listener, chosen by SNI; the first is the default. */
    tlsCert: z.array(filePath).default(defaults.tlsCert.value),
    /** PEM private key files, in the order of `tlsCert`. */
    tlsKey: z.array(filePath).default(defaults.tlsKey.value),
    /** Lowest TLS version the listener accepts. */
    tlsMinVersion: z.enum(['TLSv1.2', 'TLSv1.3']).default(defaults.tlsMinVersion.value),
    /** CA bundle (PEM file) that client certificates must chain to (mutual TLS). */
    tlsClientCa: filePath.optional(),
    /** Client certificates: `none`; `request` (asked, verified if sent); `require` (refused without a valid one). */
    tlsClientAuth: z.enum(['none', 'request', 'require']).default(defaults.tlsClientAuth.value),
    /** 48 bytes (or more, 48 per key: the first is used) of session ticket key, shared by every node. */
    tlsTicketKeyFile: filePath.optional(),
    /** CA bundle (PEM file) that `https://` backends must chain to; absent: Node's bundled CAs. */
    backendCa: filePath.optional(),
    /** Worker processes that proxy; the primary only supervises. */
    workers: z.number().int().min(1).max(256).default(defaults.workers.value),
    /**
     * How connections reach workers: `none` lets every worker accept from the shared socket
     * (measured faster here, see README), `rr` has the primary accept and hand them round-robin.
     */
    scheduling: z.enum(['none', 'rr']).default(defaults.scheduling.value),
    /**
     * Each worker's V8 semi-space (`--max-semi-space-size`, MiB); 0 leaves V8's default (up to
     * 16 MiB on 64-bit). Measured here: capped at 2 MiB, 9,500 idle WebSockets cost half the RSS,
     * for no CPU cost per request, echo or handshake (bench/RESULTS.md, "What capping the
     * workers' young generation buys").
     */
    workerSemiSpace: z.number().int().min(0).max(256).default(defaults.workerSemiSpace.value),
    /**
     * Each worker's V8 old-generation floor (`--initial-old-space-size`, MiB): no full collection
     * below it. 0 leaves V8's own limits, which under a bulk WebSocket stream run several full
     * collections a second (the read buffers count against the limit); 64 took CPU per relayed MB
     * from 2× the Node floor to 1×, for up to that much more heap per worker (bench/README.md).
     */
    workerOldSpaceFloor: z.number().int().min(0).max(65_536).default(defaults.workerOldSpaceFloor.value),
    /**
     * Redis URL of the shared state: `redis://`, `rediss://` (TLS), `redis+sentinel://…/MASTER` or
     * `redis+cluster://…` (redis-url.ts); absent: the embedded in-memory state (one node).
     */
    redis: z
      .string()
      .superRefine((text, ctx) => {
        const parsed = parseRedisUrl(text);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', message: `${parsed.reason} ${redisUrlForms}` });
      })
      .optional(),
    /** PEM CA bundle trusted for a `rediss://` Redis instead of Node's own CAs; read at start. */
    redisCa: filePath.optional(),
    /** Password of the sentinels themselves (`redis+sentinel://`); the master's goes in the URL. Never logged. */
    redisSentinelPassword: z.string().min(1, 'expected a password').optional(),
    /** Prefix of every Redis key, so several clusters can share one Redis. */
    prefix: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'expected letters, digits, ".", "_" or "-"')
      .default(defaults.prefix.value),
    /** How often the node refreshes its entry in the shared state; it expires after 3 missed beats. */
    heartbeatInterval: duration('a duration')
      .refine((ms) => ms >= 100, 'expected at least 100ms')
      .prefault(defaults.heartbeatInterval.value),
    /** Path of the active HTTP health check; any answer below 500 within the timeout passes. */
    healthPath: z
      .string()
      .regex(/^\/\S*$/, 'expected a path starting with /')
      .default(defaults.healthPath.value),
    /** How often backends are checked (by one node of the cluster at a time); 0 turns active checks off. */
    healthInterval: duration('a duration').prefault(defaults.healthInterval.value),
    /** A check with no answer by then fails. */
    healthTimeout: duration('a duration')
      .refine((ms) => ms > 0, 'expected a duration above 0')
      .prefault(defaults.healthTimeout.value),
    /** Consecutive passes that bring a down backend back. */
    healthRise: z.number().int().min(1).max(100).default(defaults.healthRise.value),
    /** Consecutive failures (checks or passive: refused, reset) that take a backend down. */
    healthFall: z.number().int().min(1).max(100).default(defaults.healthFall.value),
    /** This node's name in logs and in the shared state. */
    nodeId: z.string().min(1).max(128).default(defaults.nodeId.value),
    /** Static backends; the Redis registry adds to them when shared state is on. */
    backends: z.array(backendSchema).default(defaults.backends.value),
    /** How a new session picks its backend. */
    balance: z.enum(['least-connections', 'round-robin']).default(defaults.balance.value),
    /** Session stickiness: none, a signed cookie naming the backend, or consistent hashing of a key. */
    sticky: z.enum(['none', 'cookie', 'hash']).default(defaults.sticky.value),
    /** What `hash` stickiness hashes: `ip`, `header:NAME`, `query:NAME` or `cookie:NAME`. */
    hashKey: z
      .string()
      .default(defaults.hashKey.value)
      .superRefine((text, ctx) => {
        try {
          parseHashKeySpec(text);
        } catch (err) {
          ctx.addIssue({ code: 'custom', message: (err as Error).message });
        }
      }),
    /** Bounded-load factor (> 1) for `hash` stickiness; 0 turns the bound off. */
    hashBalanceFactor: z
      .number()
      .refine((factor) => factor === 0 || factor > 1, 'expected 0 (off) or a factor above 1 such as 1.25')
      .default(defaults.hashBalanceFactor.value),
    /** Name of the sticky cookie. */
    cookieName: z
      .string()
      .regex(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/, 'expected a cookie name (an RFC 6265 token)')
      .default(defaults.cookieName.value),
    /** `Path` of the sticky cookie: the paths whose requests carry it (RFC 6265 §5.2.4). */
    cookiePath: z
      .string()
      .regex(/^\/[\x20-\x3A\x3C-\x7E]*$/, 'expected a path starting with /')
      .default(defaults.cookiePath.value),
    /** `Domain` of the sticky cookie; absent: host-only, sent back to this host alone. */
    cookieDomain: z.string().min(1).optional(),
    /** `HttpOnly` on the sticky cookie: page scripts cannot read it. */
    cookieHttpOnly: z.boolean().default(defaults.cookieHttpOnly.value),
    /**
     * `Secure` on the sticky cookie, sent over HTTPS only (required by `SameSite=None`): `auto` sets it
     * on responses of the TLS listener and not on plaintext ones.
     */
    cookieSecure: z
      .union([z.boolean(), z.enum(['auto', 'true', 'false'])])
      .transform((value) => (value === 'true' ? true : value === 'false' ? false : value))
      .default(defaults.cookieSecure.value),
    /** `SameSite` of the sticky cookie: whether cross-site requests carry it. */
    cookieSameSite: z.enum(['Strict', 'Lax', 'None']).default(defaults.cookieSameSite.value),
    /** Lifetime of the sticky cookie; absent: a session cookie. */
    cookieMaxAge: duration('a duration').optional(),
    /** HMAC secret that signs sticky cookies; the same on every node. Absent: generated per node (with a warning). */
    cookieSecret: z.string().min(16, 'expected at least 16 characters').optional(),
    /** Earlier secrets still accepted (and re-signed) during a rotation. */
    previousCookieSecrets: z
      .array(z.string().min(16, 'expected at least 16 characters'))
      .default(defaults.previousCookieSecrets.value),
    /** Peers whose X-Forwarded-* headers are kept and appended to; everyone else's are replaced. */
    trustedProxies: z.array(cidr).default(defaults.trustedProxies.value),
    /** Longest wait for a backend to answer a WebSocket handshake (connect included); then 504. */
    handshakeTimeout: duration('a duration').prefault(defaults.handshakeTimeout.value),
    /** Longest wait for a backend to accept a TCP connection before the next one is tried. */
    connectTimeout: duration('a duration').prefault(defaults.connectTimeout.value),
    /** Longest wait for a backend's HTTP response headers; then 504. */
    requestTimeout: duration('a duration').prefault(defaults.requestTimeout.value),
    /** Close a WebSocket tunnel after this long with no bytes either way; 0 turns it off. */
    idleTimeout: duration('a duration').prefault(defaults.idleTimeout.value),
    /** Idle time before TCP keep-alive probes start, on client and backend sockets. */
    tcpKeepAlive: duration('a duration').prefault(defaults.tcpKeepAlive.value),
    /** Largest request head accepted (bytes); larger ones get 431. */
    maxHeaderSize: z.number().int().min(1024).max(1_048_576).default(defaults.maxHeaderSize.value),
    /**
     * Longest a client may take to send a complete request head (a slowloris defence); then 408.
     * At most 5 minutes: Node's whole-request timeout, which bounds it, is 5 minutes.
     */
    requestHeadTimeout: duration('a duration')
      .refine((ms) => ms >= 100 && ms <= 300_000, 'expected a duration from 100ms to 5m')
      .prefault(defaults.requestHeadTimeout.value),
    /** Origins allowed to open WebSockets (exact match); empty allows every origin. */
    allowedOrigins: z.array(z.string().min(1)).default(defaults.allowedOrigins.value),
    /** Live WebSockets one client address may hold per worker; 0 turns the limit off. */
    maxConnectionsPerClient: z.number().int().min(0).default(defaults.maxConnectionsPerClient.value),
    /** WebSocket handshakes per second one client address may start per worker; 0 turns it off. */
    handshakeRatePerClient: z.number().min(0).default(defaults.handshakeRatePerClient.value),
    /** Follow WebSocket frame boundaries (a few bytes of state per tunnel) so closes can be gentle. */
    frameTracking: z.boolean().default(defaults.frameTracking.value),
    /** Largest message a client may send, in bytes on the wire (0: no limit); over it: close 1009. */
    maxMessageSize: z.number().int().min(0).default(defaults.maxMessageSize.value),
    /** Messages per second a client may send on one WebSocket (0: no limit); over it: close 1008. */
    maxMessageRate: z.number().min(0).default(defaults.maxMessageRate.value),
    /**
     * Mooring pings a client (a ping frame of its own, at a frame boundary) after this long
     * without a frame from it; 0 turns pings off. Its pong is consumed, never forwarded.
     */
    pingInterval: duration('a duration').prefault(defaults.pingInterval.value),
    /** How long a pinged client has to answer (its pong or any frame); then the tunnel is closed 1001. */
    pingTimeout: duration('a duration')
      .refine((ms) => ms >= 100, 'expected a duration of at least 100ms')
      .prefault(defaults.pingTimeout.value),
    /** YAML file of message rules per path prefix (config/message-rules-file.ts); read at start and on SIGHUP. */
    messageRules: filePath.optional(),
    /** Gentle closes per second when the node shuts down (drains carry their own rate). */
    closeRate: z.number().positive().default(defaults.closeRate.value),
    /**
     * WebSocket close code for gentle closes: 1012 Service Restart (clients reconnect) or 1001 Going Away.
     * Checked by the close-frame builder's own rule, so a code accepted here can always be sent.
     */
    closeCode: z
      .number()
      .refine(
        (code) => isSendableCloseCode(code),
        `expected a close code that may be sent (${sendableCloseCodesText}) such as 1012 or 1001`,
      )
      .default(defaults.closeCode.value),
    /** How long SIGTERM waits for workers to finish before they are stopped. */
    shutdownDeadline: duration('a duration').prefault(defaults.shutdownDeadline.value),
    /**
     * The fleet runs `mooring rebalance` (its defaults: 10 %, 20/s, sessions of 30 s or more) on its
     * own whenever a backend is out of balance: one node at a time, by lease. A SIGHUP turns it on or off.
     */
    autoRebalance: z.boolean().default(defaults.autoRebalance.value),
    /** Lowest pino level written; `silent` writes nothing. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default(defaults.logLevel.value),
    /**
     * Data-plane instrumentation (the workers' Prometheus counters and histograms). Off: workers
     * record nothing and `/metrics` serves only the primary's own metrics (for benchmarks).
     */
    metrics: z.boolean().default(defaults.metrics.value),
    /** File holding the bearer token of admin API mutations; read at start and on SIGHUP (load-config.ts). */
    adminTokenFile: z.string().min(1, 'expected a file path').optional(),
    /**
     * The bearer token of admin API mutations: from MOORING_ADMIN_TOKEN only (a flag would show in `ps`),
     * or the contents of `adminTokenFile` once read. Absent: mutations are refused.
     */
    adminToken: adminTokenText.optional(),
  })
  .superRefine((config, ctx) => {
    const redisKind = config.redis === undefined ? undefined : /^[^:]*/.exec(config.redis)?.[0]?.toLowerCase();
    if (config.redisCa !== undefined && redisKind !== 'rediss') {
      ctx.addIssue({ code: 'custom', path: ['redisCa'], message: 'redisCa needs a rediss:// Redis URL (TLS)' });
    }
    if (config.redisSentinelPassword !== undefined && redisKind !== 'redis+sentinel') {
      const message = 'redisSentinelPassword needs a redis+sentinel:// Redis URL';
      ctx.addIssue({ code: 'custom', path: ['redisSentinelPassword'], message });
    }
    if (!config.frameTracking && (config.maxMessageSize > 0 || config.maxMessageRate > 0)) {
      const message = 'maxMessageSize and maxMessageRate need frameTracking: true (limits are read from frame headers)';
      ctx.addIssue({ code: 'custom', path: ['frameTracking'], message });
    }
    if (!config.frameTracking && (config.pingInterval > 0 || config.messageRules !== undefined)) {
      const message = 'pingInterval and messageRules need frameTracking: true (they read and write frames)';
      ctx.addIssue({ code: 'custom', path: ['frameTracking'], message });
    }
    if (config.cookieSameSite === 'None' && config.cookieSecure !== true) {
      const message = 'SameSite=None requires cookieSecure: true (browsers drop such cookies otherwise)';
      ctx.addIssue({ code: 'custom', path: ['cookieSameSite'], message });
    }
    tlsIssues(config, ctx);
    const seen = new Set<string>();
    for (const [index, backend] of config.backends.entries()) {
      if (seen.has(backend.id)) {
        const message = `duplicate backend id ${JSON.stringify(backend.id)}`;
        ctx.addIssue({ code: 'custom', path: ['backends', index, 'id'], message });
      }
      seen.add(backend.id);
    }
  });

/** The cross-field rules of TLS: certificates paired with keys, a listener that has them. */
function tlsIssues(
  config: {
    listenTls?: unknown;
    tlsCert: readonly string[];
    tlsKey: readonly string[];
    tlsClientCa?: string;
    tlsClientAuth: string;
  },
  ctx: z.RefinementCtx,
): void {
  if (config.tlsCert.length !== config.tlsKey.length) {
    const message = `expected one --tls-key per --tls-cert, in the same order (got ${config.tlsCert.length} certificates and ${config.tlsKey.length} keys)`;
    ctx.addIssue({ code: 'custom', path: ['tlsKey'], message });
  }
  if (config.listenTls !== undefined && config.tlsCert.length === 0) {
    ctx.addIssue({
      code: 'custom',
      path: ['listenTls'],
      message: 'a TLS listener needs at least one --tls-cert and --tls-key',
    });
  }
  if (config.tlsClientAuth !== 'none' && config.tlsClientCa === undefined) {
    ctx.addIssue({
      code: 'custom',
      path: ['tlsClientAuth'],
      message: `tlsClientAuth ${config.tlsClientAuth} needs --tls-client-ca`,
    });
  }
}

/** Configuration as written by the operator, before defaults. */
export type ConfigInput = z.input<typeof configSchema>;
/** Validated, defaulted configuration handed to every worker. */
export type MooringConfig = z.output<typeof configSchema>;
