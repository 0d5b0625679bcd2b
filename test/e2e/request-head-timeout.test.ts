import { connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { requestText } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../support/fleet.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ workers: 2, backendCount: 1, args: ['--request-head-timeout', '1s'] });
});
afterAll(() => fleet?.close());

/** A slowloris client: a request head begun and never finished. Resolves with all it was sent. */
async function slowClient(port: number): Promise<{ socket: Socket; answer: Promise<string> }> {
  const socket = connect({ port, host: '127.0.0.1' });
  await once(socket, 'connect');
  socket.write('GET /slow HTTP/1.1\r\nHost: app.example\r\nX-Never: ');
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => undefined);
  const answer = once(socket, 'close').then(() => Buffer.concat(chunks).toString('latin1'));
  return { socket, answer };
}

describe('--request-head-timeout', () => {
  it('answers 408 to a few hundred unfinished request heads and serves normal clients meanwhile', async () => {
    const slow = await Promise.all(Array.from({ length: 300 }, () => slowClient(fleet.node.port)));
    try {
      for (let i = 0; i < 20; i++) {
        const response = await requestText(`${fleet.node.url}/normal-${i}`);
        expect(response.status).toBe(200);
      }
      const answers = await Promise.all(slow.map((client) => client.answer));
      for (const answer of answers) {
        expect(answer).toMatch(/^HTTP\/1\.1 408 /);
        expect(answer).toContain('MOORING_ERR_REQUEST_HEAD_TIMEOUT');
      }
      expect((await requestText(`${fleet.node.url}/after`)).status).toBe(200);
    } finally {
      for (const client of slow) client.socket.destroy();
    }
  });

  it('cuts an unfinished WebSocket handshake head too', async () => {
    const client = await slowClient(fleet.node.port);
    client.socket.write('x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n');
    expect(await client.answer).toMatch(/^HTTP\/1\.1 408 /);
  });
});
