/** A frame header as RFC 6455 §5.2 lays it out. */
export interface FrameHeader {
  readonly fin: boolean;
  /** RSV1: the frame's message is compressed (permessage-deflate, RFC 7692 §6). */
  readonly rsv1: boolean;
  readonly opcode: number;
  /** The masking key when the frame is masked (every client frame, RFC 6455 §5.3). */
  readonly maskKey: Buffer | undefined;
  readonly payloadLength: number;
  /** Bytes of the header itself (2 to 14). */
  readonly headerLength: number;
}

/** What {@link readFrameHeader} found at an offset. */
export type HeaderRead =
  | { readonly kind: 'header'; readonly header: FrameHeader }
  | { readonly kind: 'incomplete' }
  | { readonly kind: 'violation'; readonly reason: string };

export const opcodes = { continuation: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

/** Whether an opcode is a control frame's (close, ping, pong: RFC 6455 §5.5). */
export function isControl(opcode: number): boolean {
  return opcode >= 0x8;
}

/**
 * Reads the header of the frame that starts at `at` in `bytes`, without copying the payload.
 * `incomplete` when the header does not fit in what is there yet; `violation` for what §5.2 and
 * §5.5 forbid (reserved opcodes, fragmented or long control frames, 64-bit lengths with the top
 * bit set or beyond what a JavaScript number counts exactly).
 */
export function readFrameHeader(bytes: Uint8Array, at = 0): HeaderRead {
  if (bytes.length - at < 2) return { kind: 'incomplete' };
  const first = bytes[at]!;
  const second = bytes[at + 1]!;
  const opcode = first & 0x0f;
  const length7 = second & 0x7f;
  const masked = (second & 0x80) !== 0;
  if ((opcode > 0x2 && opcode < 0x8) || opcode > 0xa) return { kind: 'violation', reason: 'reserved opcode' };
  if (isControl(opcode) && ((first & 0x80) === 0 || length7 > 125)) {
    return { kind: 'violation', reason: 'control frames must be whole and at most 125 bytes' };
  }
  const extended = length7 === 126 ? 2 : length7 === 127 ? 8 : 0;
  const headerLength = 2 + extended + (masked ? 4 : 0);
  if (bytes.length - at < headerLength) return { kind: 'incomplete' };
  let payloadLength = length7;
  if (extended === 2) payloadLength = (bytes[at + 2]! << 8) | bytes[at + 3]!;
  if (extended === 8) {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset + at + 2, 8);
    const high = view.readUInt32BE(0);
    if (high >= 0x80000000 || high > 0x1fffff) return { kind: 'violation', reason: 'payload length out of range' };
    payloadLength = high * 0x1_0000_0000 + view.readUInt32BE(4);
  }
  const maskAt = at + 2 + extended;
  const maskKey = masked ? Buffer.from(bytes.subarray(maskAt, maskAt + 4)) : undefined;
  return {
    kind: 'header',
    header: { fin: (first & 0x80) !== 0, rsv1: (first & 0x40) !== 0, opcode, maskKey, payloadLength, headerLength },
  };
}

/**
 * A complete frame with `payload`, as a server (unmasked) or a client (masked with a fresh key)
 * sends it: for control frames Mooring writes itself (pings).
 */
export function buildFrame(opcode: number, payload: Uint8Array, maskKey?: Uint8Array): Buffer {
  if (payload.length > 125) throw new RangeError('buildFrame builds control frames only (payload up to 125 bytes)');
  const headerLength = maskKey ? 6 : 2;
  const frame = Buffer.allocUnsafe(headerLength + payload.length);
  frame[0] = 0x80 | opcode;
  frame[1] = (maskKey ? 0x80 : 0) | payload.length;
  if (maskKey) {
    frame.set(maskKey.subarray(0, 4), 2);
    for (let i = 0; i < payload.length; i++) frame[headerLength + i] = payload[i]! ^ maskKey[i & 3]!;
  } else {
    frame.set(payload, headerLength);
  }
  return frame;
}
