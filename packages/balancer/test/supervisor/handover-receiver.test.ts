import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import type { ProxyServer } from '../../src/proxy/proxy-server.js';
import type { StreamHandle } from '../../src/proxy/websocket/socket-handle.js';
import { FrameBoundaryTracker } from '../../src/protocol/frame-tracker.js';
import type { TunnelParcel } from '../../src/proxy/websocket/tunnel-parcel.js';
import { HandoverReceiver } from '../../src/supervisor/handover-receiver.js';
import type { PrimaryToWorker, WorkerToPrimary } from '../../src/supervisor/ipc-messages.js';

type AdoptSocket = Extract<PrimaryToWorker, { type: 'adopt-socket' }>;

/** A stand-in for a libuv TCP handle: the receiver only ever closes those it refuses. */
function fakeHandle(): StreamHandle & { closed: number } {
  const handle = {
    reading: false,
    closed: 0,
    readStart: () => 0,
    readStop: () => 0,
    close: () => void handle.closed++,
  };
  return handle;
}

const position = new FrameBoundaryTracker().position();
const parcel: TunnelParcel = {
  id: 's-1',
  clientAddress: '127.0.0.1',
  startedAt: 1_700_000_000_000,
  path: '/',
  backend: 'b1',
  route: 'balance',
  bytesFromClient: 10,
  bytesToClient: 20,
  sampled: { read: 0, written: 0, fromClient: 0, toClient: 0 },
  trackers: { fromClient: position, fromBackend: position },
};

function socketMessage(side: 'client' | 'backend', extra: Partial<AdoptSocket> = {}): AdoptSocket {
  const deadline = Date.now() + 5_000;
  return {
    type: 'adopt-socket',
    from: 7,
    id: 's-1',
    side,
    deadline,
    ...(side === 'client' ? { parcel } : {}),
    ...extra,
  };
}

function receiver(adopt: (parcel: TunnelParcel) => void = () => {}) {
  const told: WorkerToPrimary[] = [];
  const adoptTunnel = vi.fn((received: TunnelParcel) => adopt(received));
  const proxy = { adoptTunnel } as unknown as ProxyServer;
  return {
    told,
    adoptTunnel,
    receiver: new HandoverReceiver(proxy, (message) => told.push(message), pino({ level: 'silent' })),
  };
}

const refused = { type: 'handover-result', from: 7, id: 's-1', adopted: false };

describe('HandoverReceiver', () => {
  it('adopts a tunnel once both sockets have come, and says so', () => {
    const { told, adoptTunnel, receiver: r } = receiver();
    const [client, backend] = [fakeHandle(), fakeHandle()];
    r.received(socketMessage('client'), client);
    expect(told).toEqual([]);
    r.received(socketMessage('backend'), backend);
    expect(adoptTunnel).toHaveBeenCalledWith(parcel, client, backend);
    expect(told).toEqual([{ ...refused, adopted: true }]);
    expect([client.closed, backend.closed]).toEqual([0, 0]);
  });

  it.each([
    ['no id', { ...parcel, id: '' }],
    ['an unknown route', { ...parcel, route: 'teleport' }],
    ['negative byte counts', { ...parcel, bytesToClient: -1 }],
    ['no sampled traffic', { ...parcel, sampled: undefined }],
    ['one tracker only', { ...parcel, trackers: { fromClient: position } }],
    [
      'a tracker position no tracker could take',
      { ...parcel, trackers: { fromClient: { ...position, remaining: 5, partial: [0x81] }, fromBackend: position } },
    ],
    ['no parcel at all', undefined],
  ])('refuses a parcel with %s and closes its copy of the socket', (_what, bad) => {
    const { told, adoptTunnel, receiver: r } = receiver();
    const client = fakeHandle();
    r.received(socketMessage('client', { parcel: bad as TunnelParcel }), client);
    expect(told).toEqual([refused]);
    expect(client.closed).toBe(1);
    expect(adoptTunnel).not.toHaveBeenCalled();
  });

  it('refuses a message without a socket, a socket past its deadline, and a backend socket that comes alone', () => {
    const { told, adoptTunnel, receiver: r } = receiver();
    r.received(socketMessage('client'), undefined);
    const late = fakeHandle();
    r.received(socketMessage('client', { deadline: Date.now() - 1 }), late);
    const alone = fakeHandle();
    r.received(socketMessage('backend'), alone);
    expect(told).toEqual([refused, refused, refused]);
    expect([late.closed, alone.closed]).toEqual([1, 1]);
    expect(adoptTunnel).not.toHaveBeenCalled();
  });

  it('refuses a tunnel whose client socket is sent twice, closing both copies', () => {
    const { told, receiver: r } = receiver();
    const [first, second] = [fakeHandle(), fakeHandle()];
    r.received(socketMessage('client'), first);
    r.received(socketMessage('client'), second);
    expect(told).toEqual([refused]);
    expect([first.closed, second.closed]).toEqual([1, 1]);
  });

  it('refuses, at the deadline, a tunnel whose backend socket never comes', async () => {
    const { told, receiver: r } = receiver();
    const client = fakeHandle();
    r.received(socketMessage('client', { deadline: Date.now() + 30 }), client);
    await vi.waitFor(() => expect(told).toEqual([refused]));
    expect(client.closed).toBe(1);
  });

  it('refuses a tunnel the proxy cannot carry, closing both sockets', () => {
    const { told, receiver: r } = receiver(() => {
      throw new Error("backend b1 is not in this worker's membership");
    });
    const [client, backend] = [fakeHandle(), fakeHandle()];
    r.received(socketMessage('client'), client);
    r.received(socketMessage('backend'), backend);
    expect(told).toEqual([refused]);
    expect([client.closed, backend.closed]).toEqual([1, 1]);
  });

  it('once closed (the successor stops too), refuses what comes and what is half there', () => {
    const { told, receiver: r } = receiver();
    const half = fakeHandle();
    r.received(socketMessage('client'), half);
    r.close();
    const later = fakeHandle();
    r.received(socketMessage('client', { id: 's-2' }), later);
    expect(told).toEqual([refused, { ...refused, id: 's-2' }]);
    expect([half.closed, later.closed]).toEqual([1, 1]);
  });
});
