import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { createAddressMatcher } from '../../src/config/cidr.js';
import { ClientLimits } from '../../src/proxy/websocket/client-limits.js';
import { setForwardedHeaders } from '../../src/proxy/forwarded-headers.js';
import { stripHopByHopHeaders } from '../../src/proxy/http/hop-by-hop.js';
import { isOriginForm, validateUpgrade } from '../../src/proxy/websocket/upgrade-validation.js';

function request(headers: Record<string, string>, remoteAddress = '203.0.113.9', method = 'GET'): IncomingMessage {
  return { headers: { ...headers }, method, socket: { remoteAddress, localPort: 8443 } } as unknown as IncomingMessage;
}

/** Every header through which a client could claim an address, scheme, host, port or prefix. */
const spoofed = {
  'x-forwarded-for': '6.6.6.6',
  'x-forwarded-proto': 'https',
  'x-forwarded-host': 'evil',
  'x-forwarded-port': '1',
  'x-forwarded-prefix': '/admin',
  'x-forwarded-server': 'evil',
  'x-real-ip': '6.6.6.6',
  'true-client-ip': '6.6.6.6',
  'x-client-ip': '6.6.6.6',
  forwarded: 'for=6.6.6.6',
};

const handshake = {
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-version': '13',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
};

describe('X-Forwarded-* headers', () => {
  const trusted = createAddressMatcher(['10.0.0.0/8', '::1/128']);

  it('replaces or drops what an untrusted client sent', () => {
    const req = request({ host: 'app.example', ...spoofed });
    setForwardedHeaders(req, trusted);
    expect(req.headers).toEqual({
      host: 'app.example',
      'x-forwarded-for': '203.0.113.9',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example',
      'x-forwarded-port': '8443',
    });
  });

  it('keeps and appends to what a trusted proxy sent, IPv4-mapped peers included', () => {
    const req = request(
      {
        host: 'lb.internal',
        'x-forwarded-for': '198.51.100.7',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'app.example',
      },
      '::ffff:10.1.2.3',
    );
    setForwardedHeaders(req, trusted);
    expect(req.headers).toMatchObject({
      'x-forwarded-for': '198.51.100.7, 10.1.2.3',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': 'app.example',
      'x-forwarded-port': '8443',
    });
  });

  it('keeps every forwarding header of a trusted proxy', () => {
    const req = request({ host: 'lb.internal', ...spoofed }, '10.0.0.2');
    setForwardedHeaders(req, trusted);
    expect(req.headers).toMatchObject({ ...spoofed, 'x-forwarded-for': '6.6.6.6, 10.0.0.2' });
  });
});

describe('validateUpgrade', () => {
  const none = new Set<string>();
  it.each([
    ['a valid handshake', handshake, 'GET', undefined],
    ['a non-websocket upgrade', { ...handshake, upgrade: 'h2c' }, 'GET', 'MOORING_ERR_UPGRADE_UNSUPPORTED'],
    ['a POST', handshake, 'POST', 'MOORING_ERR_UPGRADE_METHOD'],
    ['version 8', { ...handshake, 'sec-websocket-version': '8' }, 'GET', 'MOORING_ERR_UPGRADE_VERSION'],
    ['a short key', { ...handshake, 'sec-websocket-key': 'abc' }, 'GET', 'MOORING_ERR_UPGRADE_KEY'],
    [
      'a key of 17 bytes',
      { ...handshake, 'sec-websocket-key': 'AAAAAAAAAAAAAAAAAAAAAAA=' },
      'GET',
      'MOORING_ERR_UPGRADE_KEY',
    ],
  ])('%s', (_name, headers, method, expected) => {
    expect(validateUpgrade(request(headers, undefined, method), none)).toBe(expected);
  });

  it('enforces the origin allowlist when one is set', () => {
    const allowed = new Set(['https://app.example']);
    expect(validateUpgrade(request({ ...handshake, origin: 'https://app.example' }), allowed)).toBeUndefined();
    expect(validateUpgrade(request({ ...handshake, origin: 'https://evil.example' }), allowed)).toBe(
      'MOORING_ERR_UPGRADE_ORIGIN',
    );
    expect(validateUpgrade(request(handshake), allowed)).toBe('MOORING_ERR_UPGRADE_ORIGIN');
  });

  it('accepts only origin-form targets', () => {
    expect(isOriginForm('/chat?room=1')).toBe(true);
    expect(isOriginForm('*')).toBe(true);
    expect(isOriginForm('http://evil.example/')).toBe(false);
    expect(isOriginForm('evil.example:443')).toBe(false);
  });
});

describe('ClientLimits', () => {
  it('caps live connections per client address', () => {
    const limits = new ClientLimits({ maxConnections: 2, ratePerSecond: 0 });
    expect(limits.admit('a')).toBe('ok');
    expect(limits.admit('a')).toBe('ok');
    expect(limits.admit('a')).toBe('MOORING_ERR_CLIENT_CONNECTION_LIMIT');
    expect(limits.admit('b')).toBe('ok');
    limits.release('a');
    expect(limits.admit('a')).toBe('ok');
  });

  it('refills the handshake bucket at the configured rate', () => {
    let now = 0;
    const limits = new ClientLimits({ maxConnections: 0, ratePerSecond: 2, now: () => now });
    expect([limits.admit('a'), limits.admit('a'), limits.admit('a')]).toEqual([
      'ok',
      'ok',
      'MOORING_ERR_CLIENT_HANDSHAKE_RATE',
    ]);
    now += 500;
    expect(limits.admit('a')).toBe('ok');
    expect(limits.admit('a')).toBe('MOORING_ERR_CLIENT_HANDSHAKE_RATE');
  });
});

describe('stripHopByHopHeaders', () => {
  it('removes connection-scoped headers and those Connection names', () => {
    const headers = {
      connection: 'close, x-private',
      'keep-alive': 'timeout=5',
      'x-private': '1',
      te: 'trailers',
      host: 'a',
      'x-kept': '2',
    };
    stripHopByHopHeaders(headers);
    expect(headers).toEqual({ host: 'a', 'x-kept': '2' });
  });

  it('never removes the framing headers or Host because Connection names them (RFC 9112 §6)', () => {
    const headers = {
      connection: 'Content-Length, Transfer-Encoding, Host, X-Forwarded-For',
      'content-length': '5',
      'transfer-encoding': 'chunked',
      host: 'a',
      'x-forwarded-for': '1.2.3.4',
    };
    stripHopByHopHeaders(headers);
    expect(headers).toEqual({
      'content-length': '5',
      'transfer-encoding': 'chunked',
      host: 'a',
      'x-forwarded-for': '1.2.3.4',
    });
  });
});
