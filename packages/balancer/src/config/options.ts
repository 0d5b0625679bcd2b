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

const option = (key: keyof ConfigInput, flag: string, kind: OptionKind, valueName: string, help: string): OptionSpec => ({
  key,
  flag,
  env: `MOORING_${flag.toUpperCase().replaceAll('-', '_')}`,
  kind,
  valueName,
  help,
});

/** Every option of `mooring start`, in the order the help lists them. */
export const startOptions: readonly OptionSpec[] = [
  option('listen', 'listen', 'text', 'HOST:PORT', 'where clients connect (default 0.0.0.0:8080)'),
  option('admin', 'admin', 'text', 'HOST:PORT', 'admin listener for /healthz and /readyz (default 127.0.0.1:9090)'),
  option('workers', 'workers', 'integer', 'N', 'worker processes (default: CPU count)'),
  option('scheduling', 'scheduling', 'text', 'none|rr', 'how connections reach workers (default none)'),
  option('redis', 'redis', 'text', 'URL', 'shared state in Redis (default: embedded, one node)'),
  option('prefix', 'prefix', 'text', 'NAME', 'Redis key prefix (default mooring)'),
  option('heartbeatInterval', 'heartbeat-interval', 'text', 'DURATION', 'node heartbeat (default 1s; expires after 3)'),
  option('healthPath', 'health-path', 'text', 'PATH', 'active health check path (default /)'),
  option('healthInterval', 'health-interval', 'text', 'DURATION', 'active health check interval (default 2s; 0: off)'),
  option('healthTimeout', 'health-timeout', 'text', 'DURATION', 'active health check timeout (default 1s)'),
  option('healthRise', 'health-rise', 'integer', 'N', 'passes that bring a backend back (default 2)'),
  option('healthFall', 'health-fall', 'integer', 'N', 'failures that take a backend down (default 3)'),
  option('nodeId', 'node-id', 'text', 'ID', 'this node\'s name (default: hostname)'),
  option('backends', 'backend', 'backends', 'ID=URL', 'a static backend; repeat for more'),
  option('balance', 'balance', 'text', 'least-connections|round-robin', 'choice of backend for new sessions'),
  option('sticky', 'sticky', 'text', 'none|cookie|hash', 'session stickiness (default none)'),
  option('hashKey', 'hash-key', 'text', 'ip|header:NAME|query:NAME|cookie:NAME', 'what hash stickiness hashes (default ip)'),
  option('hashBalanceFactor', 'hash-balance-factor', 'number', 'F', 'bounded load: at most ceil(F x average) sessions per backend (0: off)'),
  option('cookieName', 'cookie-name', 'text', 'NAME', 'sticky cookie name (default mooring)'),
  option('cookiePath', 'cookie-path', 'text', 'PATH', 'sticky cookie Path (default /)'),
  option('cookieDomain', 'cookie-domain', 'text', 'DOMAIN', 'sticky cookie Domain (default: none, host-only)'),
  option('cookieHttpOnly', 'cookie-http-only', 'boolean', 'true|false', 'sticky cookie HttpOnly (default true)'),
  option('cookieSecure', 'cookie-secure', 'boolean', 'true|false', 'sticky cookie Secure (default false)'),
  option('cookieSameSite', 'cookie-same-site', 'text', 'Strict|Lax|None', 'sticky cookie SameSite (default Lax)'),
  option('cookieMaxAge', 'cookie-max-age', 'text', 'DURATION', 'sticky cookie Max-Age (default: session cookie)'),
  option('cookieSecret', 'cookie-secret', 'text', 'SECRET', 'HMAC secret for sticky cookies, the same on every node'),
  option('previousCookieSecrets', 'previous-cookie-secret', 'list', 'SECRET', 'earlier secret still accepted during rotation; repeatable'),
  option('trustedProxies', 'trusted-proxy', 'list', 'CIDR', 'peer whose X-Forwarded-* headers are kept; repeatable'),
  option('handshakeTimeout', 'handshake-timeout', 'text', 'DURATION', 'WebSocket handshake deadline (default 10s)'),
  option('connectTimeout', 'connect-timeout', 'text', 'DURATION', 'backend TCP connect deadline (default 3s)'),
  option('requestTimeout', 'request-timeout', 'text', 'DURATION', 'wait for HTTP response headers (default 60s)'),
  option('idleTimeout', 'idle-timeout', 'text', 'DURATION', 'close silent WebSocket tunnels (default 0: off)'),
  option('tcpKeepAlive', 'tcp-keep-alive', 'text', 'DURATION', 'TCP keep-alive idle time (default 30s)'),
  option('maxHeaderSize', 'max-header-size', 'integer', 'BYTES', 'largest request head (default 16384)'),
  option('requestHeadTimeout', 'request-head-timeout', 'text', 'DURATION', 'time to send a whole request head; then 408 (default 10s)'),
  option('allowedOrigins', 'allowed-origin', 'list', 'ORIGIN', 'origin allowed to open WebSockets; repeatable'),
  option('maxConnectionsPerClient', 'max-connections-per-client', 'integer', 'N', 'live WebSockets per client address and worker (0: off)'),
  option('handshakeRatePerClient', 'handshake-rate-per-client', 'number', 'N', 'handshakes per second per client address and worker (0: off)'),
  option('frameTracking', 'frame-tracking', 'boolean', 'true|false', 'track WebSocket frames so closes are gentle (default true)'),
  option('maxMessageSize', 'max-message-size', 'integer', 'BYTES', 'largest client message; over it: close 1009 (0: off)'),
  option('maxMessageRate', 'max-message-rate', 'number', 'N', 'client messages per second per WebSocket; over it: close 1008 (0: off)'),
  option('closeRate', 'close-rate', 'number', 'N', 'gentle WebSocket closes per second on shutdown (default 100)'),
  option('closeCode', 'close-code', 'integer', 'CODE', 'close code of gentle closes (default 1012)'),
  option('shutdownDeadline', 'shutdown-deadline', 'text', 'DURATION', 'SIGTERM drain deadline (default 30s)'),
  option('logLevel', 'log-level', 'text', 'LEVEL', 'fatal|error|warn|info|debug|trace|silent (default info)'),
];
