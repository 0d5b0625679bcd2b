import { once as onceOf, type EventEmitter } from 'node:events';
import { describe, it, expect } from 'vitest';
import { io, type Socket } from 'socket.io-client';
import { startSocketIoBackend } from '../src/index.js';

/** `events.once` on a socket.io client: its emitter has the `on`/`removeListener` once() uses, not Node's type. */
const once = (socket: Socket, event: string, options: { signal: AbortSignal }): Promise<unknown[]> =>
  onceOf(socket as unknown as EventEmitter, event, options);

describe('socket.io backend', () => {
  it.each([['websocket'], ['polling']] as const)('acks echo over %s with its name', async (transport) => {
    const backend = await startSocketIoBackend({ name: 'sio-1' });
    const socket = io(backend.url, { transports: [transport], reconnection: false });
    try {
      await once(socket, 'connect', { signal: AbortSignal.timeout(2000) });
      const ack = await socket.timeout(2000).emitWithAck('echo', { hello: 'world' });
      expect(ack).toEqual({ backend: 'sio-1', payload: { hello: 'world' } });
      expect(backend.connectionCount).toBe(1);
    } finally {
      socket.disconnect();
      await backend.close();
    }
  });

  it('close() disconnects live clients', async () => {
    const backend = await startSocketIoBackend({ name: 'sio-2' });
    const socket = io(backend.url, { transports: ['websocket'], reconnection: false });
    await once(socket, 'connect', { signal: AbortSignal.timeout(2000) });
    const disconnected = once(socket, 'disconnect', { signal: AbortSignal.timeout(2000) });
    await backend.close();
    await disconnected;
    expect(backend.connectionCount).toBe(0);
  });
});
