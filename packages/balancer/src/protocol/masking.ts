/**
 * XORs `bytes` with a 4-byte masking key (RFC 6455 §5.3): masking and unmasking are the same
 * operation. `offset` is the position of `bytes[0]` within the frame's payload, so a payload can
 * be unmasked in pieces as they arrive. Returns a new buffer; `bytes` is left as it is (the
 * original, masked bytes are what a relay forwards).
 */
export function applyMask(bytes: Uint8Array, key: Uint8Array, offset = 0): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = bytes[i]! ^ key[(offset + i) & 3]!;
  return out;
}
