// The Node floor: a bare reverse proxy with no features at all, to say what Node itself costs
// (DESIGN.md "Performance yardsticks"). Not product code. `node:cluster` with N workers that
// accept for themselves (SCHED_NONE); one backend; no routing, health, limits or metrics.
//
//   HTTP        core `http` with a keep-alive Agent (--upstream http), or undici's Pool with
//               keep-alive and pipelining off (--upstream undici): head and body passed through,
//               the hop-by-hop `connection`/`keep-alive` headers dropped.
//   WebSocket   raw byte relay: net.connect to the backend, the upgrade request written as it
//               came, then pipe both ways; the backend's 101 and every frame are bytes to it.
//   TLS         --tls-port with --tls-cert/--tls-key: the same handlers behind https.createServer.
//
// --upstream http-proxy is not a floor but "plain http-proxy": the library Mooring keeps as its
// upgrade path (DESIGN.md "Dependencies"), set up as its README does, with only the error
// handling that keeps the process alive. HTTP through `web()` with a keep-alive Agent, upgrades
// through `ws()`. It says what http-proxy itself costs per handshake, which no Mooring change
// can remove while http-proxy carries the upgrade.
//
//   node bench/lib/node-floor-proxy.mjs --port N --backend http://127.0.0.1:P
//        [--upstream http|undici|http-proxy] [--workers 2] [--tls-port N --tls-cert FILE --tls-key FILE]
// The primary prints one JSON line {"ready":true} when every worker listens on every port.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { createRequire } from 'node:module';
import net from 'node:net';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    backend: { type: 'string' },
    upstream: { type: 'string', default: 'http' },
    workers: { type: 'string', default: '2' },
    'tls-port': { type: 'string' },
    'tls-cert': { type: 'string' },
    'tls-key': { type: 'string' },
  },
});

if (cluster.isPrimary) runPrimary();
else await runWorker();

function runPrimary() {
  // Workers accept for themselves, as Mooring's default `--scheduling none` does.
  cluster.schedulingPolicy = cluster.SCHED_NONE;
  const workers = Number(values.workers);
  const listenersPerWorker = values['tls-port'] ? 2 : 1;
  let listening = 0;
  cluster.on('listening', () => {
    listening++;
    if (listening === workers * listenersPerWorker)
      process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid })}\n`);
  });
  cluster.on('exit', (worker, code, signal) => {
    if (!stopping) {
      process.stderr.write(`node-floor: worker ${worker.process.pid} exited (${code ?? signal})\n`);
      process.exit(1);
    }
  });
  let stopping = false;
  const stop = () => {
    stopping = true;
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGTERM');
    setTimeout(() => process.exit(0), 1000).unref();
    cluster.on('exit', () => Object.keys(cluster.workers ?? {}).length === 0 && process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  for (let i = 0; i < workers; i++) cluster.fork();
}

async function runWorker() {
  const backend = new URL(values.backend);
  const { forward, relay } = await handlersFor(values.upstream, backend);
  const plain = http.createServer(forward);
  plain.keepAliveTimeout = 65_000;
  plain.on('upgrade', relay);
  plain.listen(Number(values.port), '127.0.0.1');
  if (values['tls-port']) {
    const secure = https.createServer(
      { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) },
      forward,
    );
    secure.keepAliveTimeout = 65_000;
    secure.on('upgrade', relay);
    secure.listen(Number(values['tls-port']), '127.0.0.1');
  }
  process.on('SIGTERM', () => process.exit(0));
}

/** The request handler and the upgrade handler of one `--upstream`. */
async function handlersFor(upstream, backend) {
  if (!['http', 'undici', 'http-proxy'].includes(upstream))
    throw new Error(`--upstream must be http, undici or http-proxy, got "${upstream}"`);
  if (upstream === 'http-proxy') return plainHttpProxy(backend);
  const host = backend.hostname;
  const port = Number(backend.port);
  return {
    forward: upstream === 'undici' ? await undiciForwarder(backend) : coreForwarder(host, port),
    relay: (req, socket, head) => relayUpgrade(req, socket, head, host, port),
  };
}

/** Request headers minus the hop-by-hop ones a keep-alive upstream must not see. */
function forwardHeaders(headers) {
  const out = { ...headers };
  delete out.connection;
  delete out['keep-alive'];
  delete out['proxy-connection'];
  return out;
}

function badGateway(res) {
  if (!res.headersSent) res.writeHead(502, { 'content-length': 0 });
  res.end();
}

/** Core `http` upstream with a keep-alive agent. */
function coreForwarder(host, port) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  return (req, res) => {
    const upstream = http.request(
      { host, port, method: req.method, path: req.url, headers: forwardHeaders(req.headers), agent },
      (answer) => {
        const headers = answer.headers;
        delete headers.connection;
        delete headers['keep-alive'];
        res.writeHead(answer.statusCode, headers);
        answer.pipe(res);
      },
    );
    upstream.on('error', () => badGateway(res));
    req.pipe(upstream);
  };
}

/** undici upstream: one Pool, keep-alive, pipelining 1 (one request at a time per connection). */
async function undiciForwarder(backend) {
  const { Pool } = await import('undici');
  const pool = new Pool(backend.origin, { connections: 256, pipelining: 1, keepAliveTimeout: 60_000 });
  return (req, res) => {
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    pool.stream(
      {
        path: req.url,
        method: req.method,
        headers: forwardHeaders(req.headers),
        body: hasBody ? req : null,
      },
      ({ statusCode, headers }) => {
        delete headers.connection;
        delete headers['keep-alive'];
        res.writeHead(statusCode, headers);
        return res;
      },
      (err) => {
        if (err) badGateway(res);
      },
    );
  };
}

/**
 * http-proxy as its README sets it up: one server for HTTP with a keep-alive Agent, one with
 * `ws: true` for upgrades. The error listeners are the least that keeps a worker alive (an
 * unhandled `error` on the proxy or a client socket would kill it).
 */
function plainHttpProxy(backend) {
  // http-proxy is the balancer package's dependency, not the workspace root's.
  const HttpProxy = createRequire(new URL('../../packages/balancer/package.json', import.meta.url))('http-proxy');
  const agent = new http.Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 });
  const web = HttpProxy.createProxyServer({ target: backend.origin, agent });
  const ws = HttpProxy.createProxyServer({ target: backend.origin, ws: true });
  web.on('error', (_err, _req, res) => badGateway(res));
  ws.on('error', (_err, _req, socket) => socket.destroy());
  return {
    forward: (req, res) => web.web(req, res),
    relay: (req, socket, head) => {
      socket.on('error', () => socket.destroy());
      ws.ws(req, socket, head);
    },
  };
}

/** Raw byte relay: the upgrade request as it came, then bytes both ways until either side ends. */
function relayUpgrade(req, socket, head, host, port) {
  const upstream = net.connect(port, host);
  const teardown = () => {
    socket.destroy();
    upstream.destroy();
  };
  socket.on('error', teardown);
  upstream.on('error', teardown);
  upstream.once('connect', () => {
    upstream.setNoDelay(true);
    socket.setNoDelay(true);
    let text = `${req.method} ${req.url} HTTP/1.1\r\n`;
    const raw = req.rawHeaders;
    for (let i = 0; i < raw.length; i += 2) text += `${raw[i]}: ${raw[i + 1]}\r\n`;
    upstream.write(`${text}\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
}
