import type { ConfigInput } from './schema.js';

/** How a flag's or environment variable's text becomes a config value before validation. */
export type OptionKind = 'text' | 'integer' | 'number' | 'list' | 'backends';

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
  option('nodeId', 'node-id', 'text', 'ID', 'this node\'s name (default: hostname)'),
  option('backends', 'backend', 'backends', 'ID=URL', 'a static backend; repeat for more'),
  option('balance', 'balance', 'text', 'least-connections|round-robin', 'choice of backend for new sessions'),
  option('trustedProxies', 'trusted-proxy', 'list', 'CIDR', 'peer whose X-Forwarded-* headers are kept; repeatable'),
  option('handshakeTimeout', 'handshake-timeout', 'text', 'DURATION', 'WebSocket handshake deadline (default 10s)'),
  option('connectTimeout', 'connect-timeout', 'text', 'DURATION', 'backend TCP connect deadline (default 3s)'),
  option('requestTimeout', 'request-timeout', 'text', 'DURATION', 'wait for HTTP response headers (default 60s)'),
  option('idleTimeout', 'idle-timeout', 'text', 'DURATION', 'close silent WebSocket tunnels (default 0: off)'),
  option('tcpKeepAlive', 'tcp-keep-alive', 'text', 'DURATION', 'TCP keep-alive idle time (default 30s)'),
  option('maxHeaderSize', 'max-header-size', 'integer', 'BYTES', 'largest request head (default 16384)'),
  option('allowedOrigins', 'allowed-origin', 'list', 'ORIGIN', 'origin allowed to open WebSockets; repeatable'),
  option('maxConnectionsPerClient', 'max-connections-per-client', 'integer', 'N', 'live WebSockets per client address and worker (0: off)'),
  option('handshakeRatePerClient', 'handshake-rate-per-client', 'number', 'N', 'handshakes per second per client address and worker (0: off)'),
  option('shutdownDeadline', 'shutdown-deadline', 'text', 'DURATION', 'SIGTERM drain deadline (default 30s)'),
  option('logLevel', 'log-level', 'text', 'LEVEL', 'fatal|error|warn|info|debug|trace|silent (default info)'),
];
