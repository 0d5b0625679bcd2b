import type { Socket } from 'node:net';
import { streamHandleOf } from './socket-handle.js';

/**
 * Stops reading from the kernel: no byte enters the process any more, while those already read
 * go on through the tunnel. `pause()` is not enough: it stops the `data` events, not the reads,
 * which go on filling the stream's buffer. The handle keeps `reading` set, so that a stream that
 * resumes after backpressure does not start reading again (net.Socket#_read checks that flag).
 */
function holdReads(socket: Socket): boolean {
  const handle = streamHandleOf(socket);
  if (!handle) return false;
  handle.readStop();
  handle.reading = true;
  return true;
}

/** Undoes {@link holdReads}: the socket reads again (a handover that failed). */
export function releaseReads(socket: Socket): void {
  const handle = streamHandleOf(socket);
  if (!handle || socket.destroyed) return;
  handle.readStart();
  handle.reading = true;
}

/** Resolves once every byte written to `socket` so far is with the kernel. */
function written(socket: Socket): Promise<void> {
  return new Promise((resolve) => socket.write(Buffer.alloc(0), () => resolve()));
}

function isUsable(socket: Socket): boolean {
  return !socket.destroyed && socket.writable && !socket.writableEnded && !socket.readableEnded;
}

/**
 * Brings a tunnel to rest for a handover: neither socket reads from the kernel any more, and every
 * byte read so far from either side has been written to the other side's kernel buffer (the
 * tunnel's pipes go on forwarding what the streams had buffered, with their backpressure). Then
 * the two file descriptors carry the whole state of the byte streams and can move to another
 * process. Resolves false, with reads released again, when a socket ends or errors, or when the
 * peers do not take what is buffered within `timeoutMs`: the tunnel stays where it is.
 */
export async function quiesceTunnel(client: Socket, backend: Socket, timeoutMs: number): Promise<boolean> {
  const sockets = [client, backend];
  if (!sockets.every(isUsable)) return false;
  if (!holdReads(client) || !holdReads(backend)) {
    releaseReads(client);
    return false;
  }
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
  try {
    for (;;) {
      if (!sockets.every(isUsable)) break;
      if (sockets.every((socket) => socket.readableLength === 0 && socket.writableLength === 0)) return true;
      if ((await Promise.race([Promise.all(sockets.map(written)), deadline])) === 'timeout') break;
      // A source paused by backpressure resumes on the sink's 'drain', a tick after the flush.
      await new Promise((resolve) => setImmediate(resolve));
    }
  } finally {
    clearTimeout(timer);
  }
  for (const socket of sockets) releaseReads(socket);
  return false;
}
