import { rawExchange, requestText, startMooringNode, type MooringNode } from '@mooring/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setAllModes, startFleet, type Fleet } from '../support/fleet.js';
import { droppedForwarding, spoofedForwarding } from '../support/spoofed-forwarding.js';

// The real `mooring` executable with 2 workers in front of 3 backends.
let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ workers: 2, args: ['--request-timeout', '1s', '--balance', 'round-robin'] });
});
afterAll(() => fleet?.close());
afterEach(() => setAllModes(fleet, 'ok'));

const backendOf = (body: string): string => (JSON.parse(body) as { backend: string }).backend;

describe('HTTP proxying', () => {
  it('spreads requests over every backend and keeps backend connections alive', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 12; i++) {
      const response = await requestText(`${fleet.node.url}/page?i=${i}`);
      expect(response.status).toBe(200);
      seen.add(backendOf(response.body));
    }
    expect([...seen].sort()).toEqual(['b1', 'b2', 'b3']);
    // http-proxy without a keep-alive agent would send `Connection: close` to every backend.
    expect(fleet.backends.map((backend) => backend.lastRequestHeaders?.connection)).toEqual([
      'keep-alive',
      'keep-alive',
      'keep-alive',
    ]);
  });

  it('forwards bodies and methods', async () => {
    const response = await requestText(`${fleet.node.url}/upload`, { method: 'POST', body: 'x'.repeat(100_000) });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ method: 'POST', bodyLength: 100_000 });
  });

  it('replaces X-Forwarded-* and drops the other forwarding headers sent by an untrusted client', async () => {
    const response = await requestText(`${fleet.node.url}/`, {
      headers: { ...spoofedForwarding, host: 'app.example' },
    });
    const headers = JSON.parse(response.body).headers;
    expect(headers).toMatchObject({
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'app.example',
      'x-forwarded-port': String(fleet.node.port),
    });
    for (const name of droppedForwarding) expect(headers[name], name).toBeUndefined();
  });

  it('keeps and appends to X-Forwarded-* from a trusted proxy', async () => {
    const trusting = await startMooringNode({
      workers: 1,
      args: ['--backend', `b1=${fleet.backends[0]!.url}`, '--trusted-proxy', '127.0.0.0/8'],
    });
    try {
      const response = await requestText(`${trusting.url}/`, {
        headers: { 'x-forwarded-for': '198.51.100.7', 'x-forwarded-proto': 'https', host: 'lb' },
      });
      expect(JSON.parse(response.body).headers).toMatchObject({
        'x-forwarded-for': '198.51.100.7, 127.0.0.1',
        'x-forwarded-proto': 'https',
        'x-forwarded-host': 'lb',
      });
    } finally {
      await trusting.stop();
    }
  });

  it('skips a backend that refuses the connection: every request still succeeds', async () => {
    await fleet.backend('b2').setMode('refuse');
    for (let i = 0; i < 12; i++) {
      const response = await requestText(`${fleet.node.url}/retry?i=${i}`);
      expect(response.status).toBe(200);
      expect(backendOf(response.body)).not.toBe('b2');
    }
  });

  it('answers 502 with a JSON code when no backend accepts', async () => {
    await setAllModes(fleet, 'refuse');
    const response = await requestText(`${fleet.node.url}/`);
    expect(response.status).toBe(502);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'MOORING_ERR_BACKEND_UNREACHABLE' });
  });

  it('answers 504 when the backend does not answer within --request-timeout', async () => {
    await setAllModes(fleet, 'hang');
    const response = await requestText(`${fleet.node.url}/slow`);
    expect(response.status).toBe(504);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'MOORING_ERR_BACKEND_TIMEOUT' });
  });

  it('refuses absolute-form targets and CONNECT: not an open proxy', async () => {
    const absolute = await rawExchange(
      fleet.node.port,
      'GET http://example.com/ HTTP/1.1\r\nHost: example.com\r\n\r\n',
    );
    expect(absolute.raw.toString()).toMatch(/^HTTP\/1\.1 400 /);
    expect(absolute.raw.toString()).toContain('MOORING_ERR_REQUEST_ABSOLUTE_FORM');
    const connect = await rawExchange(
      fleet.node.port,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(connect.raw.toString()).toMatch(/^HTTP\/1\.1 405 /);
    expect(connect.raw.toString()).toContain('MOORING_ERR_REQUEST_CONNECT');
    expect(fleet.backends.every((backend) => backend.lastRequestHeaders?.host !== 'example.com')).toBe(true);
  });

  it('answers malformed requests with 400 and oversized heads with 431, and keeps serving', async () => {
    const garbage = await rawExchange(fleet.node.port, 'NOT A REQUEST\r\n\r\n');
    expect(garbage.raw.toString()).toMatch(/^HTTP\/1\.1 400 /);
    const huge = await rawExchange(
      fleet.node.port,
      `GET / HTTP/1.1\r\nHost: a\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge.raw.toString()).toMatch(/^HTTP\/1\.1 431 /);
    expect((await requestText(`${fleet.node.url}/`)).status).toBe(200);
  });
});

describe('a node without backends', () => {
  let empty: MooringNode;
  beforeAll(async () => {
    empty = await startMooringNode({ workers: 1 });
  });
  afterAll(() => empty?.stop());

  it('answers 503 with a JSON code', async () => {
    const response = await requestText(`${empty.url}/`);
    expect(response.status).toBe(503);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'MOORING_ERR_NO_BACKEND' });
  });
});
