/**
 * The close code of gentle closes when none is configured: 1012 Service Restart, which tells
 * clients the server is coming back and they may reconnect (RFC 6455 §7.4.1 registry).
 */
export const defaultCloseCode = 1012;

/**
 * Whether `code` may be sent in a close frame (RFC 6455 §7.4): 1000–1014 except 1004 (reserved)
 * and 1005/1006 (never on the wire), and 3000–4999 (registered and private use). 1015 and
 * 1016–2999 are refused too: they are reserved, and clients such as `ws` answer a close frame
 * carrying one with a protocol error (1002) instead of a clean close.
 *
 * The one rule for close codes: the config schema, the CLI's drain flags and the close-frame
 * builder all ask it, so a code accepted at the edge is always one the data plane can send.
 */
export function isSendableCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code !== 1004 && code !== 1005 && code !== 1006;
}

/** {@link isSendableCloseCode}'s rule in words, for messages that refuse a code. */
export const sendableCloseCodesText = '1000-1014 except 1004-1006, or 3000-4999';
