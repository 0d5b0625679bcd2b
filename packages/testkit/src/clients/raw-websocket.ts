import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { websocketHandshakeText } from './raw-exchange.js';

/** One frame as received from a server (unmasked, RFC 6455 §5.2). */
export interface ReceivedFrame {
  readonly fin: boolean;
  readonly opcode: number;
  readonly payload: Buffer;
}

/**
 * A client-side frame (masked, RFC 6455 §5.3) exactly as a client would put it on the wire,
 * for tests that write frames themselves: in one write, split, or dribbled byte by byte.
 */
export function clientFrame(opcode: number, payload: Buffer, options: { fin?: boolean; rsv1?: boolean } = {}): Buffer {
  const length = payload.length;
  const lengthBytes = length < 126 ? 0 : length < 65_536 ? 2 : 8;
  const header = Buffer.alloc(2 + lengthBytes + 4);
  header[0] = (options.fin === false ? 0 : 0x80) | (options.rsv1 ? 0x40 : 0) | opcode;
  header[1] = 0x80 | (lengthBytes === 0 ? length : lengthBytes === 2 ? 126 : 127);
  if (lengthBytes === 2) header.writeUInt16BE(length, 2);
  if (lengthBytes === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const key = randomBytes(4);
  key.copy(header, 2 + lengthBytes);
  const masked = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) masked[i] = payload[i]! ^ key[i & 3]!;
  return Buffer.concat([header, masked]);
}

/**
 * A WebSocket client on a raw socket: it sends a valid handshake, then lets the test write any
 * bytes and collects the frames the server sends. No extension is negotiated unless the test
 * asks for one with its own `Sec-WebSocket-Extensions` header (then it writes such frames itself).
 */
export class RawWebSocket {
  readonly socket: Socket;
  /** Every complete frame received after the 101, in order. */
  readonly frames: ReceivedFrame[] = [];
  /** The 101 response's head (status line and headers). */
  readonly responseHead: string;
  #buffer = Buffer.alloc(0);
  readonly #closed: Promise<void>;

  private constructor(socket: Socket, rest: Buffer, responseHead: string) {
    this.socket = socket;
    this.responseHead = responseHead;
    this.#closed = once(socket, 'close').then(() => undefined);
    socket.on('error', () => undefined);
    socket.on('data', (chunk: Buffer) => this.#receive(chunk));
    this.#receive(rest);
  }

  /** Opens the connection and resolves after a 101; rejects with the answer otherwise. */
  static async open(port: number, path = '/', host = '127.0.0.1', headers: string[] = []): Promise<RawWebSocket> {
    const socket = connect({ port, host, noDelay: true });
    await once(socket, 'connect');
    socket.write(websocketHandshakeText(path, host, headers));
    let head = Buffer.alloc(0);
    for (;;) {
      const [chunk] = (await once(socket, 'data', { signal: AbortSignal.timeout(5_000) })) as [Buffer];
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end < 0) continue;
      const status = head.subarray(0, end).toString('latin1');
      if (!status.startsWith('HTTP/1.1 101')) {
        socket.destroy();
        throw new Error(`expected a 101, got ${JSON.stringify(status)}`);
      }
      return new RawWebSocket(socket, head.subarray(end + 4), status);
    }
  }

  write(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  /** Writes `bytes` one byte per write, yielding to the event loop between writes. */
  async dribble(bytes: Buffer): Promise<void> {
    for (let i = 0; i < bytes.length; i++) {
      this.socket.write(bytes.subarray(i, i + 1));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The close code of the first close frame received, once the server has closed the connection. */
  async closeCode(): Promise<number | undefined> {
    await this.#closed;
    const close = this.frames.find((frame) => frame.opcode === 0x8);
    return close && close.payload.length >= 2 ? close.payload.readUInt16BE(0) : undefined;
  }

  destroy(): void {
    this.socket.destroy();
  }

  #receive(chunk: Buffer): void {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    for (;;) {
      const frame = this.#takeFrame();
      if (!frame) return;
      this.frames.push(frame);
      // Answer a close as a client does (RFC 6455 §5.5.1): echo its code, masked.
      if (frame.opcode === 0x8 && this.socket.writable)
        this.socket.write(clientFrame(0x8, frame.payload.subarray(0, 2)));
    }
  }

  #takeFrame(): ReceivedFrame | undefined {
    const bytes = this.#buffer;
    if (bytes.length < 2) return undefined;
    const length7 = bytes[1]! & 0x7f;
    const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
    if (bytes.length < 2 + extended) return undefined;
    const length = extended === 0 ? length7 : extended === 2 ? bytes.readUInt16BE(2) : Number(bytes.readBigUInt64BE(2));
    const start = 2 + extended;
    if (bytes.length < start + length) return undefined;
    this.#buffer = bytes.subarray(start + length);
    return {
      fin: (bytes[0]! & 0x80) !== 0,
      opcode: bytes[0]! & 0x0f,
      payload: Buffer.from(bytes.subarray(start, start + length)),
    };
  }
}
