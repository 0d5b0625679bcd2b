import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { listen } from '../net/listen.js';
import { closeServer, trackSockets } from '../net/socket-tracker.js';
import { startDemoBackend } from './demo-backend.js';

/*
 * One demo backend as its own process, for deploy/docker-compose.yml:
 *   DEMO_BACKEND_NAME=demo-a DEMO_BACKEND_PORT=3000 node packages/testkit/dist/demo/backend-main.js
 *
 * startDemoBackend() always listens on 127.0.0.1 (it is made for tests and `pnpm demo`), which
 * no other container could reach. Rather than change it, the backend listens on a free loopback
 * port and a plain TCP relay on 0.0.0.0:DEMO_BACKEND_PORT forwards to it: byte for byte, so
 * HTTP and WebSocket upgrades pass unchanged.
 * SIGTERM or SIGINT: stop accepting, close the WebSockets with 1001, exit 0.
 */

function portFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    console.error(`${name} must be a port number (1-65535), got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return port;
}

async function main(): Promise<void> {
  const name = process.env.DEMO_BACKEND_NAME || 'demo';
  const port = portFromEnv('DEMO_BACKEND_PORT', 3000);
  const backend = await startDemoBackend(name);

  const relay = createServer((client: Socket) => {
    const upstream = connect(backend.port, '127.0.0.1');
    // A side that fails takes the other down; a side that closes ends the other once what was
    // already relayed is written (destroying it at once would drop e.g. a WebSocket close frame).
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
    upstream.on('close', () => client.end());
    client.on('close', () => upstream.end());
    client.pipe(upstream).pipe(client);
  });
  const relaySockets = trackSockets(relay);
  await listen(relay, port, '0.0.0.0');
  console.log(`demo backend ${name} on http://0.0.0.0:${port} (pid ${process.pid})`);

  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    relay.close();
    // The backend sends its WebSockets a 1001 close and drops them; the relay then ends each
    // client connection after writing what it still holds. Give that a moment before forcing it.
    await backend.close();
    const ended = [...relaySockets].map((socket) => once(socket, 'close'));
    await Promise.race([Promise.all(ended), delay(2_000)]);
    await closeServer(relay, relaySockets);
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
