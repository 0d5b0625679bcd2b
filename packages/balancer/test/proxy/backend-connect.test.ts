import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectToBackend, isConnectFailure } from '../../src/proxy/backend-connect.js';
import { DeadlineWheel } from '../../src/proxy/deadline-wheel.js';

let server: Server | undefined;
const accepted: Socket[] = [];
afterEach(async () => {
  for (const socket of accepted.splice(0)) socket.destroy();
  await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
  server = undefined;
});

/** A TCP listener that takes connections and never says a word: a TLS handshake with it never ends. */
async function silentListener(): Promise<number> {
  server = createServer((socket) => accepted.push(socket.resume()));
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('connectToBackend', () => {
  it('fails with ETIMEDOUT at the connect timeout when the connection never becomes usable, and destroys the socket', async () => {
    const port = await silentListener();
    const wheel = new DeadlineWheel({ tickMs: 10 });
    const started = performance.now();
    const endpoint = { host: '127.0.0.1', port, secure: true, servername: undefined, display: `127.0.0.1:${port}` };
    const err = await connectToBackend(endpoint, 300, wheel).then(
      () => undefined,
      (e: NodeJS.ErrnoException) => e,
    );
    expect(err?.code).toBe('ETIMEDOUT');
    expect(err?.message).toBe(`connect to 127.0.0.1:${port} timed out`);
    expect(isConnectFailure(err)).toBe(true); // so the next candidate is tried
    expect(performance.now() - started).toBeGreaterThanOrEqual(300);
    expect(wheel.size).toBe(0);
    // The backend sees its connection go away.
    await expect.poll(() => accepted.length === 1 && accepted[0]!.closed).toBe(true);
  });

  it('disarms its deadline once connected', async () => {
    const port = await silentListener();
    const wheel = new DeadlineWheel({ tickMs: 10 });
    const endpoint = { host: '127.0.0.1', port, secure: false, servername: undefined, display: `127.0.0.1:${port}` };
    const socket = await connectToBackend(endpoint, 300, wheel);
    expect(wheel.size).toBe(0);
    socket.destroy();
  });
});
