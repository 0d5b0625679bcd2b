import { availableParallelism, hostname } from 'node:os';
import { defaultCloseCode } from '../protocol/close-codes.js';

/**
 * The default of one option. A value is written the way an operator writes it (`10s`, not
 * 10000), so the schema parses it like any other input and `--help` and the README quote it as is.
 */
export interface OptionDefault {
  /** The value, or a function for one known only where the node runs; absent: the option is unset. */
  readonly value?: unknown;
  /** How `--help` and the README say a default that has no value to quote: `CPU count`, `none`. */
  readonly text?: string;
  /** What the value means when it is not a setting but a switch: `0` means `off`. */
  readonly means?: string;
}

const none = () => [];

/**
 * Every option's default, in one place: the schema takes its defaults from here, `mooring start
 * --help` quotes them (see options.ts) and a test holds README's "Configuration reference" to them.
 */
export const configDefaults = {
  listen: { value: '0.0.0.0:8080' },
  admin: { value: '127.0.0.1:9090' },
  listenTls: { text: 'none (no TLS listener)' },
  tlsCert: { value: none, text: 'none' },
  tlsKey: { value: none, text: 'none' },
  tlsMinVersion: { value: 'TLSv1.2' },
  tlsClientCa: { text: 'none' },
  tlsClientAuth: { value: 'none' },
  tlsTicketKeyFile: { text: 'none (a random key per worker)' },
  backendCa: { text: "Node's CA bundle" },
  workers: { value: () => availableParallelism(), text: 'CPU count' },
  scheduling: { value: 'none' },
  workerSemiSpace: { value: 2 },
  workerOldSpaceFloor: { value: 0 },
  redis: { text: 'embedded in-memory state, one node' },
  redisCa: { text: "Node's CAs" },
  redisSentinelPassword: { text: 'none' },
  prefix: { value: 'mooring' },
  heartbeatInterval: { value: '1s' },
  healthPath: { value: '/' },
  healthInterval: { value: '2s' },
  healthTimeout: { value: '1s' },
  healthRise: { value: 2 },
  healthFall: { value: 3 },
  nodeId: { value: () => hostname(), text: 'hostname' },
  backends: { value: none, text: 'none' },
  balance: { value: 'least-connections' },
  sticky: { value: 'none' },
  hashKey: { value: 'ip' },
  hashBalanceFactor: { value: 0, means: 'off' },
  cookieName: { value: 'mooring' },
  cookiePath: { value: '/' },
  cookieDomain: { text: 'none, host-only' },
  cookieHttpOnly: { value: true },
  cookieSecure: { value: 'auto' },
  cookieSameSite: { value: 'Lax' },
  cookieMaxAge: { text: 'none, a session cookie' },
  cookieSecret: { text: 'generated per node, with a warning' },
  previousCookieSecrets: { value: none, text: 'none' },
  trustedProxies: { value: none, text: 'none' },
  handshakeTimeout: { value: '10s' },
  connectTimeout: { value: '3s' },
  requestTimeout: { value: '60s' },
  idleTimeout: { value: 0, means: 'off' },
  // Node 20's libuv probes an idle socket every 1 s, 10 times, then aborts it (TCP_KEEPINTVL and
  // TCP_KEEPCNT cannot be set from JavaScript): the idle time alone sets how often a tunnel is
  // exposed to 10 s of lost probes. 30 s lost 17-28 % of 100,000 idle tunnels to probe storms on
  // a saturated host (bench/README.md); 2 min refreshes NAT state well within the usual 4-5 min.
  tcpKeepAlive: { value: '120s' },
  maxHeaderSize: { value: 16_384 },
  requestHeadTimeout: { value: '10s' },
  allowedOrigins: { value: none, text: 'none, all allowed' },
  maxConnectionsPerClient: { value: 0, means: 'off' },
  handshakeRatePerClient: { value: 0, means: 'off' },
  frameTracking: { value: true },
  maxMessageSize: { value: 0, means: 'off' },
  maxMessageRate: { value: 0, means: 'off' },
  pingInterval: { value: 0, means: 'off' },
  pingTimeout: { value: '10s' },
  messageRules: { text: 'none' },
  closeRate: { value: 100 },
  closeCode: { value: defaultCloseCode },
  shutdownDeadline: { value: '30s' },
  autoRebalance: { value: false },
  logLevel: { value: 'info' },
  metrics: { value: true },
  adminTokenFile: { text: 'none (mutations refused)' },
  adminToken: { text: 'none (mutations refused)' },
} as const satisfies Record<string, OptionDefault>;

/** The defaults of a backend entry (in a file, a flag or the Redis registry). */
export const backendDefaults = { weight: 1, state: 'active' } as const;

/** `(default 10s)`, `(default 0: off)`, `(default: CPU count)`: the end of an option's `--help` line. */
export function helpDefault(entry: OptionDefault): string {
  if (entry.text !== undefined) return `(default: ${entry.text})`;
  const value = String(entry.value);
  return entry.means === undefined ? `(default ${value})` : `(default ${value}: ${entry.means})`;
}

/** The README's "default" cell: `` `10s` ``, `` `0` (off) ``, `CPU count`. */
export function readmeDefault(entry: OptionDefault): string {
  if (entry.text !== undefined) return entry.text;
  const value = `\`${String(entry.value)}\``;
  return entry.means === undefined ? value : `${value} (${entry.means})`;
}
