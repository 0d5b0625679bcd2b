import { describe, it, expect, afterEach } from 'vitest';
import {
  openRecordingClient,
  rawUpgrade,
  requestText,
  startTestBackend,
  UnexpectedResponseError,
  websocketHandshakeText,
  type TestBackend,
} from '../src/index.js';

const backends: TestBackend[] = [];
async function backend(mode?: Parameters<typeof startTestBackend>[0]['mode']): Promise<TestBackend> {
  const started = await startTestBackend({ name: `b${backends.length}`, mode });
  backends.push(started);
  return started;
}

afterEach(async () => {
  await Promise.all(backends.splice(0).map((b) => b.close()));
});

function errorCode(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (err: NodeJS.ErrnoException) => err.code ?? err.name,
  );
}

describe('test backend, ok mode', () => {
  it('answers JSON naming itself, with the request headers', async () => {
    const b = await backend();
    const res = await requestText(`${b.url}/some/path?q=1`, { headers: { 'x-forwarded-for': '10.0.0.1' } });
    expect(res.status).toBe(200);
    expect(res.headers['x-backend']).toBe(b.name);
    const body = JSON.parse(res.body);
    expect(body).toMatchObject({ backend: b.name, method: 'GET', url: '/some/path?q=1', bodyLength: 0 });
    expect(body.headers['x-forwarded-for']).toBe('10.0.0.1');
    expect(b.httpRequests).toBe(1);
    expect(b.lastRequestHeaders?.['x-forwarded-for']).toBe('10.0.0.1');
  });

  it('echoes the POST body length', async () => {
    const b = await backend();
    const res = await requestText(b.url, { method: 'POST', body: Buffer.alloc(100_000, 1) });
    expect(JSON.parse(res.body)).toMatchObject({ method: 'POST', bodyLength: 100_000 });
  });

  it('answers /health 200, and 503 when unhealthy, counting health checks apart', async () => {
    const b = await backend();
    expect((await requestText(`${b.url}/health`)).status).toBe(200);
    await b.setMode('unhealthy');
    expect((await requestText(`${b.url}/health`)).status).toBe(503);
    expect((await requestText(`${b.url}/other`)).status).toBe(200);
    expect(b.healthRequests).toBe(2);
    expect(b.httpRequests).toBe(1);
  });
});

describe('test backend, failure modes', () => {
  it('refuse: connections are refused, then served again on the same port', async () => {
    const b = await backend();
    await b.setMode('refuse');
    expect(await errorCode(requestText(b.url))).toBe('ECONNREFUSED');
    await b.setMode('ok');
    expect((await requestText(b.url)).status).toBe(200);
  });

  it('refuse as the initial mode keeps a port that refuses', async () => {
    const b = await backend('refuse');
    expect(b.port).toBeGreaterThan(0);
    expect(await errorCode(requestText(b.url))).toBe('ECONNREFUSED');
  });

  it('reset: an HTTP request gets ECONNRESET', async () => {
    const b = await backend('reset');
    expect(await errorCode(requestText(b.url))).toBe('ECONNRESET');
    expect(b.httpRequests).toBe(1);
  });

  it('reset: an upgrade gets ECONNRESET', async () => {
    const b = await backend('reset');
    const url = b.url.replace('http:', 'ws:');
    expect(await errorCode(openRecordingClient(url))).toBe('ECONNRESET');
    expect(b.upgradeRequests).toBe(1);
  });

  it('hang: reads the request and never answers', async () => {
    const b = await backend('hang');
    const outcome = await errorCode(requestText(b.url, { signal: AbortSignal.timeout(300) }));
    expect(outcome).toBe('ABORT_ERR');
    expect(b.httpRequests).toBe(1);
  });

  it('hold: keeps a request unanswered until the mode changes, then answers it', async () => {
    const b = await backend('hold');
    let answered = false;
    const pending = requestText(`${b.url}/held`).then((response) => ((answered = true), response));
    await expect.poll(() => b.httpRequests).toBe(1);
    expect((await requestText(`${b.url}/health`)).status).toBe(200);
    expect(answered).toBe(false);
    await b.setMode('ok');
    const response = await pending;
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ url: '/held' });
  });

  it('hang: close() still returns while an upgrade hangs', async () => {
    const b = await backend('hang');
    const pending = openRecordingClient(b.url.replace('http:', 'ws:'), { handshakeTimeoutMs: 10_000 });
    await expect.poll(() => b.upgradeRequests).toBe(1);
    expect(b.sockets.size).toBe(1);
    await b.close();
    await expect(pending).rejects.toThrow();
  });

  it('non101: an upgrade gets a well-formed chunked 403 naming the backend', async () => {
    const b = await backend('non101');
    const res = await rawUpgrade(b.port, websocketHandshakeText('/chat'));
    expect(res.statusCode).toBe(403);
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(JSON.parse(res.body)).toEqual({ backend: b.name, error: 'forbidden', url: '/chat' });
  });

  it('non101: the recording client rejects with status and body', async () => {
    const b = await backend('non101');
    const err = await openRecordingClient(b.url.replace('http:', 'ws:')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnexpectedResponseError);
    const unexpected = err as UnexpectedResponseError;
    expect(unexpected.statusCode).toBe(403);
    expect(unexpected.headers['x-backend']).toBe(b.name);
    expect(JSON.parse(unexpected.body).backend).toBe(b.name);
  });
});
