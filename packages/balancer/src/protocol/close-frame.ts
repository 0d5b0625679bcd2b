import { randomBytes } from 'node:crypto';
import { isSendableCloseCode } from './close-codes.js';

// The builder's guard, next to the builder for its callers; the rule itself lives in close-codes.ts.
export { isSendableCloseCode };

/** A control frame's payload is at most 125 bytes (RFC 6455 §5.5); the code takes two of them. */
const maxReasonBytes = 123;

/**
 * Cuts an encoded UTF-8 string to at most `max` bytes without splitting a multi-byte sequence:
 * the cut moves back over continuation bytes (`10xxxxxx`) to the start of the sequence.
 */
function truncateUtf8(encoded: Buffer, max: number): Buffer {
  if (encoded.length <= max) return encoded;
  let end = max;
  while (end > 0 && (encoded[end]! & 0xc0) === 0x80) end--;
  return encoded.subarray(0, end);
}

/**
 * A complete close frame (FIN, opcode 0x8) carrying `code` and `reason`, ready to be written
 * between two frames of a stream. The reason is truncated so that the payload stays within the
 * 125 bytes of a control frame. Frames toward a server must be masked (RFC 6455 §5.3): they get a
 * fresh random key; frames toward a client must not be.
 *
 * @throws RangeError if `code` may not be sent (see {@link isSendableCloseCode}).
 */
export function closeFrame(code: number, reason = '', masked: boolean): Buffer {
  if (!isSendableCloseCode(code)) throw new RangeError(`${code} is not a close code that may be sent`);
  const text = truncateUtf8(Buffer.from(reason, 'utf8'), maxReasonBytes);
  const payloadLength = 2 + text.length;
  const headerLength = masked ? 6 : 2;
  const frame = Buffer.allocUnsafe(headerLength + payloadLength);
  frame[0] = 0x88;
  frame[1] = (masked ? 0x80 : 0) | payloadLength;
  frame.writeUInt16BE(code, headerLength);
  text.copy(frame, headerLength + 2);
  if (masked) {
    const key = randomBytes(4);
    key.copy(frame, 2);
    for (let i = 0; i < payloadLength; i++) frame[headerLength + i] = frame[headerLength + i]! ^ key[i & 3]!;
  }
  return frame;
}
