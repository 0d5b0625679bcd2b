import type { IncomingMessage } from 'node:http';

/** Whether a client connection came through the TLS listener. */
export function isEncrypted(socket: object): boolean {
  return 'encrypted' in socket && socket.encrypted === true;
}

/** Strips the IPv4-mapped prefix a dual-stack socket reports, so logs and headers say `10.0.0.1`. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * Headers through which a client could claim another address, scheme, host, port or path prefix
 * to a backend. From a peer outside `--trusted-proxy` none of them is believed: they are dropped
 * before Mooring sets X-Forwarded-For/-Proto/-Host/-Port itself.
 */
const spoofableHeaders = [
  'forwarded',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-server',
  'x-real-ip',
  'true-client-ip',
  'x-client-ip',
];

/**
 * Sets X-Forwarded-For/-Proto/-Host/-Port for the backend. A trusted peer (another proxy in front
 * of us) has its values kept and our peer appended; anyone else's are replaced, so a client can't
 * forge the address a backend rate-limits or logs by. The other address-bearing headers
 * (`Forwarded`, RFC 7239, `X-Real-IP`…) from an untrusted peer are dropped for the same reason.
 */
export function setForwardedHeaders(req: IncomingMessage, trusted: (address: string | undefined) => boolean): void {
  const headers = req.headers;
  const peer = plainAddress(req.socket.remoteAddress);
  const ownProto = isEncrypted(req.socket) ? 'https' : 'http';
  const ownPort = String(req.socket.localPort ?? '');
  if (trusted(req.socket.remoteAddress)) {
    const previous = joinHeader(headers['x-forwarded-for']);
    headers['x-forwarded-for'] = previous ? `${previous}, ${peer}` : peer;
    headers['x-forwarded-proto'] = joinHeader(headers['x-forwarded-proto']) || ownProto;
    headers['x-forwarded-host'] = joinHeader(headers['x-forwarded-host']) || headers.host || '';
    headers['x-forwarded-port'] = joinHeader(headers['x-forwarded-port']) || ownPort;
    return;
  }
  for (const name of spoofableHeaders) delete headers[name];
  headers['x-forwarded-for'] = peer;
  headers['x-forwarded-proto'] = ownProto;
  if (headers.host) headers['x-forwarded-host'] = headers.host;
  else delete headers['x-forwarded-host'];
  headers['x-forwarded-port'] = ownPort;
}

function joinHeader(value: string | string[] | undefined): string {
  return Array.isArray(value) ? value.join(', ') : (value ?? '');
}

/**
 * The address a request comes from, for hash keys: the peer, or, when the peer is a trusted
 * proxy, the first address of the X-Forwarded-For it sent (the original client).
 */
export function clientAddressOf(req: IncomingMessage, trusted: (address: string | undefined) => boolean): string {
  const peer = plainAddress(req.socket.remoteAddress);
  if (!trusted(req.socket.remoteAddress)) return peer;
  const first = joinHeader(req.headers['x-forwarded-for']).split(',')[0]?.trim();
  return first || peer;
}
