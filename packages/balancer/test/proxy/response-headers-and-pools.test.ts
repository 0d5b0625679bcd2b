import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/core/backend.js';
import { BackendPools } from '../../src/proxy/http/backend-pools.js';
import { clientResponseHeaders } from '../../src/proxy/http/response-headers.js';

const raw = (...pairs: string[]): Buffer[] => pairs.map((text) => Buffer.from(text, 'latin1'));
const backend = (url: string): Backend => ({ id: url, url, weight: 1, state: 'active' });

describe('clientResponseHeaders', () => {
  it('keeps the backend’s order and spelling, drops the hop-by-hop headers, appends the sticky cookie last', () => {
    const headers = clientResponseHeaders(
      raw(
        'Content-Type',
        'text/plain',
        'Connection',
        'keep-alive',
        'Keep-Alive',
        'timeout=5',
        'Transfer-Encoding',
        'chunked',
        'Set-Cookie',
        'own=1',
        'TE',
        'trailers',
        'Trailer',
        'X-T',
        'Proxy-Connection',
        'keep-alive',
        'Upgrade',
        'h2c',
        'X-Last',
        'é',
      ),
      'mooring=abc',
    );
    expect(headers).toEqual([
      'Content-Type',
      'text/plain',
      'Set-Cookie',
      'own=1',
      'X-Last',
      'é',
      'set-cookie',
      'mooring=abc',
    ]);
  });

  it('drops what Connection names, over several Connection headers, but never Content-Length', () => {
    const headers = clientResponseHeaders(
      raw(
        'Connection',
        'close, X-A',
        'X-A',
        '1',
        'Connection',
        'x-b , Content-Length',
        'X-B',
        '2',
        'Content-Length',
        '2',
        'X-C',
        '3',
      ),
      undefined,
    );
    expect(headers).toEqual(['Content-Length', '2', 'X-C', '3']);
  });
});

describe('BackendPools', () => {
  it('keeps one pool per origin until the backend drains, leaves or the CA changes', async () => {
    const pools = new BackendPools({ connectTimeoutMs: 1_000 });
    const plain = backend('http://127.0.0.1:9');
    const secure = backend('https://127.0.0.1:9');
    const first = pools.forBackend(plain);
    expect(pools.forBackend(plain)).toBe(first);
    expect(pools.isDraining(plain.url)).toBe(false);

    pools.setDraining([plain.url]);
    expect(pools.isDraining(plain.url)).toBe(true);
    expect(first.closed).toBe(true);
    const whileDraining = pools.forBackend(plain);
    expect(whileDraining).not.toBe(first);
    // Still draining: the same pool serves on, its connections closing once answered.
    pools.setDraining([plain.url]);
    expect(pools.forBackend(plain)).toBe(whileDraining);
    pools.setDraining([]);
    expect(pools.isDraining(plain.url)).toBe(false);

    const tls = pools.forBackend(secure);
    pools.setBackendCa('-----BEGIN CERTIFICATE-----');
    expect(tls.closed).toBe(true);
    expect(pools.forBackend(plain)).toBe(whileDraining);

    pools.retain([secure.url]);
    expect(whileDraining.closed).toBe(true);
    pools.destroy();
  });
});
