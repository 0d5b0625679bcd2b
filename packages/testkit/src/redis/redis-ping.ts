import { connect, type Socket } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * Sends one inline `PING` (RESP inline command) and resolves true on `+PONG`.
 * Any other answer, a refused connection or silence past `timeoutMs` is false:
 * the caller polls until the server is ready.
 */
export function pingRedis(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'));
    });
  });
}

/**
 * Polls {@link pingRedis} until it succeeds, `isDead()` reports the server
 * process gone, or `timeoutMs` elapses.
 */
export async function waitForRedis(
  port: number,
  options: { timeoutMs?: number; isDead?: () => boolean } = {},
): Promise<boolean> {
  const deadline = Date.now() + (options.timeoutMs ?? 10_000);
  while (Date.now() < deadline) {
    if (options.isDead?.()) return false;
    if (await pingRedis(port)) return true;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return false;
}

/**
 * Resolves true when something on `port` answers an inline `PING` as Redis does: `+PONG`, or an
 * error such as `-NOAUTH` from a server that wants a password (it is up all the same). With
 * `tls`, over TLS without checking the certificate: this asks whether it is up, not whom to trust.
 */
export function answersRedis(port: number, host = '127.0.0.1', timeoutMs = 1000, tls = false): Promise<boolean> {
  return new Promise((resolve) => {
    const socket: Socket = tls ? connectTls({ host, port, rejectUnauthorized: false }) : connect({ host, port });
    let reply = '';
    const finish = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => finish(false));
    socket.once('error', () => finish(false));
    socket.once(tls ? 'secureConnect' : 'connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString('latin1');
      if (reply.includes('\r\n')) finish(reply.startsWith('+') || reply.startsWith('-'));
    });
  });
}
