import { Socket } from 'node:net';

/**
 * The libuv stream under a net.Socket, which is what crosses the IPC channel when a tunnel moves
 * to another worker (`process.send(message, handle)` sends its file descriptor), and the read
 * switches Node's own `pause()` uses for an `onread` socket.
 */
export interface StreamHandle {
  reading: boolean;
  readStart(): number;
  readStop(): number;
  close(callback?: () => void): void;
}

/** The socket's handle, or undefined when it has none (destroyed) or not one that can be sent. */
export function streamHandleOf(socket: Socket): StreamHandle | undefined {
  const handle = (socket as Socket & { _handle?: Partial<StreamHandle> | null })._handle;
  return typeof handle?.readStop === 'function' && typeof handle.readStart === 'function'
    ? (handle as StreamHandle)
    : undefined;
}

/** Whether an IPC message's handle is a stream this process can wrap in a socket. */
export function isStreamHandle(value: unknown): value is StreamHandle {
  const handle = value as Partial<StreamHandle> | null;
  return (
    typeof handle?.readStart === 'function' &&
    typeof handle.readStop === 'function' &&
    typeof handle.close === 'function'
  );
}

/**
 * A socket around a handle received over IPC. `manualStart`: it reads nothing until its pipe
 * resumes it, so that not a byte is taken from the kernel before someone relays it.
 * `allowHalfOpen` must be what the socket had in the sending worker (the client's came from the
 * HTTP server, which allows half-open connections: a client's FIN must not end our side before
 * the backend's close frame has passed). Socket options (keep-alive, no-delay) live on the
 * descriptor and came with it.
 */
export function socketFromHandle(handle: StreamHandle, allowHalfOpen: boolean): Socket {
  const options = { handle, readable: true, writable: true, manualStart: true, allowHalfOpen };
  return new Socket(options as ConstructorParameters<typeof Socket>[0]);
}
