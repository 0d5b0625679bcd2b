// A minimal benchmark backend, run in its own process: HTTP answers a short body with
// keep-alive; WebSocket echoes every message, or on /stream sends 64 KiB messages as fast as
// the connection drains. permessage-deflate is off unless --deflate, so throughput scenarios
// measure the proxy and not zlib.
//
//   node bench/lib/echo-backend.mjs [--port N] [--deflate]
// Prints one JSON line {"ready":true,"port":N} when listening.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';
import { WebSocketServer } from 'ws';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, deflate: { type: 'boolean', default: false } },
});
const body = Buffer.from('hello from the echo backend\n');
const streamChunk = Buffer.alloc(64 * 1024, 0x61);
/** Sends outstanding per stream connection: enough to keep the pipe full, bounded in memory. */
const streamWindow = 4;

const server = createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': body.length });
    res.end(body);
  });
});
server.keepAliveTimeout = 65_000;
server.headersTimeout = 66_000;

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: values.deflate,
  maxPayload: 1 << 20,
  clientTracking: false,
});
server.on('upgrade', (req, socket, head) => {
  socket.on('error', () => socket.destroy());
  wss.handleUpgrade(req, socket, head, (ws) => {
    ws.on('error', () => ws.terminate());
    if ((req.url ?? '').startsWith('/stream')) return stream(ws);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
});

function stream(ws) {
  let outstanding = 0;
  const pump = () => {
    while (outstanding < streamWindow && ws.readyState === ws.OPEN) {
      outstanding++;
      ws.send(streamChunk, { binary: true }, (err) => {
        outstanding--;
        if (!err) pump();
      });
    }
  };
  pump();
}

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.address().port, pid: process.pid })}\n`);
});
const stop = () => server.close(() => process.exit(0)) && setTimeout(() => process.exit(0), 500).unref();
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);
