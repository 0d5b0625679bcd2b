// HAProxy as its documentation recommends for WebSockets: HTTP mode (the upgrade is handled
// natively), `timeout tunnel` for the established connection, `balance leastconn` for
// long-lived sessions, idle server-side connections reused (http-reuse safe, the default).
// One process, 2 threads. With the run's certificate, a second bind terminates TLS (`ssl crt`,
// ALPN http/1.1) into the same backend.
import { startConfiguredProxy } from '../lib/configured-proxy.mjs';
import { childNofile } from '../lib/services.mjs';
import { versionOf, which } from '../lib/tools.mjs';

/** Two descriptors per proxied connection, within the open-file limit HAProxy will get. */
export const haproxyMaxconn = Math.floor((childNofile - 200) / 2);

export function haproxyConfig({ port, backendPort, tlsPort, tls }) {
  return `global
  nbthread 2
  maxconn ${haproxyMaxconn}

defaults
  mode http
  option http-keep-alive
  http-reuse safe
  timeout connect 5s
  timeout client 60s
  timeout server 60s
  timeout http-keep-alive 60s
  timeout tunnel 1h

frontend mooring_bench
  bind 127.0.0.1:${port}${tls ? `\n  bind 127.0.0.1:${tlsPort} ssl crt ${tls.pemPath} alpn http/1.1` : ''}
  default_backend echo

backend echo
  balance leastconn
  server echo0 127.0.0.1:${backendPort}
`;
}

export const haproxyTarget = {
  name: 'haproxy',
  label: 'HAProxy',
  proxy: true,
  tls: true,
  async available() {
    return which('haproxy') ? { ok: true } : { ok: false, reason: 'haproxy is not installed (run bench/setup.sh)' };
  },
  version: () =>
    versionOf(which('haproxy'), ['-v'])
      .replace(/^HAProxy version /, '')
      .split(' ')[0],
  async start({ backend, tls }) {
    // -db: stay in the foreground, no daemon, so the pid is HAProxy's own.
    return startConfiguredProxy({
      name: 'haproxy',
      configFile: 'haproxy.cfg',
      tls,
      render: ({ port, tlsPort }) => haproxyConfig({ port, backendPort: backend.port, tlsPort, tls }),
      args: ({ config }) => ['-db', '-f', config],
    });
  },
};
