// nginx as its documentation recommends for WebSocket proxying (nginx.org/en/docs/http/websocket.html):
// HTTP/1.1 to the upstream, Upgrade and Connection passed through a map, plus an upstream
// keep-alive pool (ngx_http_upstream_module `keepalive`, which wants `Connection: ""` for plain
// requests — the map gives exactly that when there is no Upgrade header). 2 worker processes.
// With the run's certificate, a second server block terminates TLS (TLS 1.2 and 1.3, nginx's
// defaults otherwise) in front of the same upstream.
import { startConfiguredProxy } from '../lib/configured-proxy.mjs';
import { childNofile } from '../lib/services.mjs';
import { versionOf, which } from '../lib/tools.mjs';

const location = `    location / {
      proxy_pass http://echo;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 3600s;
      proxy_send_timeout 3600s;
    }`;

function tlsServer({ tlsPort, tls }) {
  return `
  server {
    listen 127.0.0.1:${tlsPort} ssl backlog=4096;
    ssl_certificate ${tls.certPath};
    ssl_certificate_key ${tls.keyPath};
    ssl_protocols TLSv1.2 TLSv1.3;
${location}
  }`;
}

export function nginxConfig({ dir, port, backendPort, tlsPort, tls }) {
  return `worker_processes 2;
worker_rlimit_nofile ${childNofile};
daemon off;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections ${childNofile - 100};
}
http {
  access_log off;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  keepalive_requests 100000;
  map $http_upgrade $connection_upgrade {
    default upgrade;
    '' '';
  }
  upstream echo {
    server 127.0.0.1:${backendPort};
    keepalive 64;
  }
  server {
    listen 127.0.0.1:${port} backlog=4096;
${location}
  }${tls ? tlsServer({ tlsPort, tls }) : ''}
}
`;
}

export const nginxTarget = {
  name: 'nginx',
  label: 'nginx',
  proxy: true,
  tls: true,
  async available() {
    return which('nginx') ? { ok: true } : { ok: false, reason: 'nginx is not installed (run bench/setup.sh)' };
  },
  version: () => versionOf(which('nginx'), ['-v']).replace(/^nginx version: /, ''),
  async start({ backend, tls }) {
    return startConfiguredProxy({
      name: 'nginx',
      configFile: 'nginx.conf',
      tls,
      render: ({ dir, port, tlsPort }) => nginxConfig({ dir, port, backendPort: backend.port, tlsPort, tls }),
      args: ({ dir, config }) => ['-p', dir, '-c', config],
    });
  },
};
