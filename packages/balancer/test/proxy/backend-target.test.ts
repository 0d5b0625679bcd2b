import { parse as parseLegacyUrl } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/core/backend.js';
import { backendTarget } from '../../src/proxy/backend-target.js';

const backend = (url: string): Backend => ({ id: 'b1', url, weight: 1, state: 'active' });

describe('backendTarget', () => {
  it('parses a backend once: every handshake to it gets the same object', () => {
    const b1 = backend('http://127.0.0.1:3001');
    expect(backendTarget(b1)).toBe(backendTarget(b1));
    // A membership change brings a new Backend object, which is parsed anew.
    const moved = backend('http://127.0.0.1:3002');
    expect(backendTarget(moved).endpoint.port).toBe(3002);
  });

  it.each([
    ['http://127.0.0.1:3001', { host: '127.0.0.1', port: 3001, secure: false, servername: undefined }],
    ['http://127.0.0.1', { host: '127.0.0.1', port: 80, secure: false, servername: undefined }],
    ['https://127.0.0.1', { host: '127.0.0.1', port: 443, secure: true, servername: undefined }],
    ['https://chat.invalid:8443', { host: 'chat.invalid', port: 8443, secure: true, servername: 'chat.invalid' }],
    ['http://[::1]:3001', { host: '::1', port: 3001, secure: false, servername: undefined }],
  ])('%s', (url, endpoint) => {
    const target = backendTarget(backend(url));
    expect(target.endpoint).toMatchObject(endpoint);
    // What http-proxy would have made of the string, field for field.
    expect(target.proxyTarget).toEqual(parseLegacyUrl(url));
  });
});
