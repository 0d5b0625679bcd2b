import type { Socket } from 'node:net';

/**
 * The socket listeners that http-proxy's WebSocket pass adds when the backend answers 101, and
 * that keep the whole handshake alive for as long as the tunnel lasts: each closes over the
 * client's upgrade request, the backend's 101 response, the ClientRequest and the options of the
 * handshake (several KiB per idle tunnel). None is needed once the tunnel is open: an error or end
 * on either socket reaches the session through its own `close` listeners, which end the other side.
 *   backend `error`: `onOutgoingError` (calls back the session and ends the client);
 *   backend `end`:   an anonymous function emitting the proxy's `close` event, which nothing hears;
 *   client `error`:  an anonymous function ending the backend socket.
 */
const handshakeListeners: ReadonlyArray<readonly ['client' | 'backend', string, ReadonlySet<string>]> = [
  ['backend', 'error', new Set(['onOutgoingError'])],
  ['backend', 'end', new Set([''])],
  ['client', 'error', new Set([''])],
];

type Listener = (...args: unknown[]) => void;

/** Which listeners the two sockets had before http-proxy's upgrade handler ran. */
export interface ListenersBefore {
  readonly client: Socket;
  readonly backend: Socket;
  readonly known: ReadonlyMap<string, ReadonlySet<Listener>>;
}

/** Notes the listeners the sockets have now, before http-proxy adds its own to them. */
export function noteListeners(client: Socket, backend: Socket): ListenersBefore {
  const known = new Map<string, ReadonlySet<Listener>>();
  for (const [side, event] of handshakeListeners) {
    const socket = side === 'client' ? client : backend;
    known.set(`${side} ${event}`, new Set(socket.listeners(event) as Listener[]));
  }
  return { client, backend, known };
}

/**
 * Removes the listeners http-proxy added since {@link noteListeners}: only those it names as above
 * (the pipe's own listeners are named `onerror`, `onend`, `unpipe`… and stay), never one that was
 * there before (the session's and the listener's own error handlers).
 */
export function releaseHandshakeClosures(before: ListenersBefore): void {
  for (const [side, event, names] of handshakeListeners) {
    const socket = side === 'client' ? before.client : before.backend;
    const known = before.known.get(`${side} ${event}`)!;
    for (const listener of socket.listeners(event) as Listener[]) {
      if (!known.has(listener) && names.has(listener.name)) socket.removeListener(event, listener);
    }
  }
}
