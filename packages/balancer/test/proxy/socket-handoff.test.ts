import { once } from 'node:events';
import { createServer, request, type IncomingMessage } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SocketHandoff } from '../../src/proxy/backend-connect.js';

let server: ReturnType<typeof createServer>;
let port: number;
beforeAll(async () => {
  server = createServer((req, res) => res.end(`${req.socket.remotePort}`));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  port = (server.address() as AddressInfo).port;
});
afterAll(() => server.closeAllConnections() ?? server.close());

async function connected() {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  return socket;
}

describe('SocketHandoff', () => {
  it('sends each request on the socket handed over with it, one agent for all', async () => {
    const handoff = new SocketHandoff();
    const sockets = await Promise.all([connected(), connected(), connected()]);
    const ports = sockets.map((socket) => String(socket.localPort));
    const answers = await Promise.all(
      sockets.map(
        (socket) =>
          new Promise<string>((resolve, reject) => {
            handoff.handOver(socket, () => {
              const req = request(
                { host: '127.0.0.1', port, path: '/', agent: handoff as never },
                (res: IncomingMessage) => {
                  let body = '';
                  res.on('data', (chunk: Buffer) => (body += chunk));
                  res.on('end', () => resolve(body));
                },
              );
              req.on('error', reject);
              req.end();
            });
          }),
      ),
    );
    expect(answers).toEqual(ports);
    sockets.forEach((socket) => socket.destroy());
  });

  it('fails a request that comes without a socket, instead of sending it anywhere', async () => {
    const handoff = new SocketHandoff();
    const req = request({ host: '127.0.0.1', port, path: '/', agent: handoff as never });
    const [err] = await once(req, 'error');
    expect(String(err)).toMatch(/without a socket/);
  });
});
