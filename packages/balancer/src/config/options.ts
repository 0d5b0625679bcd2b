import { configDefaults, helpDefault } from './defaults.js';
import type { ConfigInput } from './schema.js';

/** How a flag's or environment variable's text becomes a config value before validation. */
export type OptionKind = 'text' | 'integer' | 'number' | 'boolean' | 'list' | 'backends';

/** One configurable key, reachable as a flag and as a `MOORING_*` variable. */
export interface OptionSpec {
  readonly key: keyof ConfigInput;
  readonly flag: string;
  readonly env: string;
  readonly kind: OptionKind;
  readonly valueName: string;
  readonly help: string;
}

const option = (
  key: keyof ConfigInput,
  flag: string,
  kind: OptionKind,
  valueName: string,
  help: string,
): OptionSpec => ({
  key,
  flag,
  env: `MOORING_${flag.toUpperCase().replaceAll('-', '_')}`,
  kind,
  valueName,
  // The default is quoted from the one defaults object, so help cannot drift from what applies.
  help: `${help} ${helpDefault(configDefaults[key])}`,
});

/** Every option of `mooring start`, in the order the help lists them (and README's table). */
export const startOptions: readonly OptionSpec[] = [
  option('listen', 'listen', 'text', 'HOST:PORT', 'where clients connect'),
  option('admin', 'admin', 'text', 'HOST:PORT', 'admin listener for /healthz and /readyz'),
  option('listenTls', 'listen-tls', 'text', 'HOST:PORT', 'where clients connect over TLS (https://, wss://)'),
  option(
    'tlsCert',
    'tls-cert',
    'list',
    'FILE',
    'PEM certificate (chain) of the TLS listener; repeatable, paired with --tls-key',
  ),
  option('tlsKey', 'tls-key', 'list', 'FILE', 'PEM private key of the --tls-cert in the same position; repeatable'),
  option('tlsMinVersion', 'tls-min-version', 'text', 'TLSv1.2|TLSv1.3', 'lowest TLS version accepted'),
  option('tlsClientCa', 'tls-client-ca', 'text', 'FILE', 'CA bundle that client certificates must chain to'),
  option('tlsClientAuth', 'tls-client-auth', 'text', 'none|request|require', 'client certificates'),
  option(
    'tlsTicketKeyFile',
    'tls-ticket-key-file',
    'text',
    'FILE',
    '48-byte TLS session ticket key, the same on every node',
  ),
  option('backendCa', 'backend-ca', 'text', 'FILE', 'CA bundle that https:// backends must chain to'),
  option('workers', 'workers', 'integer', 'N', 'worker processes'),
  option('scheduling', 'scheduling', 'text', 'none|rr', 'how connections reach workers'),
  option(
    'workerSemiSpace',
    'worker-semi-space',
    'integer',
    'MIB',
    "workers' V8 young-generation semi-space; 0: V8's own",
  ),
  option(
    'workerOldSpaceFloor',
    'worker-old-space-floor',
    'integer',
    'MIB',
    "old-generation size below which workers' V8 skips full collections (bulk streams); 0: V8's own",
  ),
  option(
    'redis',
    'redis',
    'text',
    'URL',
    'shared state in Redis: redis://, rediss://, redis+sentinel://HOST:PORT,…/MASTER, redis+cluster://HOST:PORT,…',
  ),
  option('redisCa', 'redis-ca', 'text', 'FILE', 'PEM CA bundle for a rediss:// Redis'),
  option('redisSentinelPassword', 'redis-sentinel-password', 'text', 'PASSWORD', "the sentinels' own password"),
  option('prefix', 'prefix', 'text', 'NAME', 'Redis key prefix'),
  option(
    'heartbeatInterval',
    'heartbeat-interval',
    'text',
    'DURATION',
    'node heartbeat; a node expires after 3 missed',
  ),
  option('healthPath', 'health-path', 'text', 'PATH', 'active health check path'),
  option('healthInterval', 'health-interval', 'text', 'DURATION', 'active health check interval; 0: off'),
  option('healthTimeout', 'health-timeout', 'text', 'DURATION', 'active health check timeout'),
  option('healthRise', 'health-rise', 'integer', 'N', 'passes that bring a backend back'),
  option('healthFall', 'health-fall', 'integer', 'N', 'failures that take a backend down'),
  option('nodeId', 'node-id', 'text', 'ID', "this node's name"),
  option('backends', 'backend', 'backends', 'ID=URL', 'a static backend; repeat for more'),
  option('balance', 'balance', 'text', 'least-connections|round-robin', 'choice of backend for new sessions'),
  option('sticky', 'sticky', 'text', 'none|cookie|hash', 'session stickiness'),
  option('hashKey', 'hash-key', 'text', 'ip|header:NAME|query:NAME|cookie:NAME', 'what hash stickiness hashes'),
  option(
    'hashBalanceFactor',
    'hash-balance-factor',
    'number',
    'F',
    'bounded load: at most ceil(F x average) sessions per backend',
  ),
  option('cookieName', 'cookie-name', 'text', 'NAME', 'sticky cookie name'),
  option('cookiePath', 'cookie-path', 'text', 'PATH', 'sticky cookie Path'),
  option('cookieDomain', 'cookie-domain', 'text', 'DOMAIN', 'sticky cookie Domain'),
  option('cookieHttpOnly', 'cookie-http-only', 'boolean', 'true|false', 'sticky cookie HttpOnly'),
  option('cookieSecure', 'cookie-secure', 'text', 'auto|true|false', 'sticky cookie Secure (auto: on TLS)'),
  option('cookieSameSite', 'cookie-same-site', 'text', 'Strict|Lax|None', 'sticky cookie SameSite'),
  option('cookieMaxAge', 'cookie-max-age', 'text', 'DURATION', 'sticky cookie Max-Age'),
  option('cookieSecret', 'cookie-secret', 'text', 'SECRET', 'HMAC secret for sticky cookies, the same on every node'),
  option(
    'previousCookieSecrets',
    'previous-cookie-secret',
    'list',
    'SECRET',
    'earlier secret still accepted during rotation; repeatable',
  ),
  option('trustedProxies', 'trusted-proxy', 'list', 'CIDR', 'peer whose X-Forwarded-* headers are kept; repeatable'),
  option('handshakeTimeout', 'handshake-timeout', 'text', 'DURATION', 'WebSocket handshake deadline'),
  option('connectTimeout', 'connect-timeout', 'text', 'DURATION', 'backend TCP connect deadline'),
  option('requestTimeout', 'request-timeout', 'text', 'DURATION', 'wait for HTTP response headers'),
  option('idleTimeout', 'idle-timeout', 'text', 'DURATION', 'close silent WebSocket tunnels'),
  option('tcpKeepAlive', 'tcp-keep-alive', 'text', 'DURATION', 'TCP keep-alive idle time'),
  option('maxHeaderSize', 'max-header-size', 'integer', 'BYTES', 'largest request head'),
  option(
    'requestHeadTimeout',
    'request-head-timeout',
    'text',
    'DURATION',
    'time to send a whole request head; then 408',
  ),
  option('allowedOrigins', 'allowed-origin', 'list', 'ORIGIN', 'origin allowed to open WebSockets; repeatable'),
  option(
    'maxConnectionsPerClient',
    'max-connections-per-client',
    'integer',
    'N',
    'live WebSockets per client address and worker',
  ),
  option(
    'handshakeRatePerClient',
    'handshake-rate-per-client',
    'number',
    'N',
    'handshakes per second per client address and worker',
  ),
  option('frameTracking', 'frame-tracking', 'boolean', 'true|false', 'track WebSocket frames so closes are gentle'),
  option('maxMessageSize', 'max-message-size', 'integer', 'BYTES', 'largest client message; over it: close 1009'),
  option(
    'maxMessageRate',
    'max-message-rate',
    'number',
    'N',
    'client messages per second per WebSocket; over it: close 1008',
  ),
  option(
    'pingInterval',
    'ping-interval',
    'text',
    'DURATION',
    "ping a client after this long without a frame from it (Mooring's own pings)",
  ),
  option('pingTimeout', 'ping-timeout', 'text', 'DURATION', 'no answer to a ping within this: close 1001'),
  option('messageRules', 'message-rules', 'text', 'FILE', 'YAML file of message rules per path; read again on SIGHUP'),
  option('closeRate', 'close-rate', 'number', 'N', 'gentle WebSocket closes per second on shutdown'),
  option('closeCode', 'close-code', 'integer', 'CODE', 'close code of gentle closes'),
  option('shutdownDeadline', 'shutdown-deadline', 'text', 'DURATION', 'SIGTERM drain deadline'),
  option(
    'autoRebalance',
    'auto-rebalance',
    'boolean',
    'true|false',
    'rebalance sessions across backends on its own, as `mooring rebalance` does',
  ),
  option('logLevel', 'log-level', 'text', 'LEVEL', 'fatal|error|warn|info|debug|trace|silent'),
  option(
    'metrics',
    'metrics',
    'boolean',
    'true|false',
    "data-plane metrics in the workers; off: /metrics has the primary's only",
  ),
  option(
    'adminTokenFile',
    'admin-token-file',
    'text',
    'FILE',
    'file holding the bearer token that admin API mutations require (at least 32 characters)',
  ),
];

/** A key set only by its `MOORING_*` variable: a secret, which a flag would show to anyone running `ps`. */
export interface EnvOnlyOptionSpec {
  readonly key: keyof ConfigInput;
  readonly env: string;
  readonly help: string;
}

/** The options with no flag (README's table lists them after the others, with no flag). */
export const envOnlyOptions: readonly EnvOnlyOptionSpec[] = [
  {
    key: 'adminToken',
    env: 'MOORING_ADMIN_TOKEN',
    help: `admin API mutations' bearer token (at least 32 characters) ${helpDefault(configDefaults.adminToken)}`,
  },
];
