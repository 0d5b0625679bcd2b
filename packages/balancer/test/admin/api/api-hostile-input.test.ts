import { once } from 'node:events';
import { connect } from 'node:net';
import { RawHttpConnection } from '@mooring/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { createApiRoutes } from '../../../src/admin/api/api-routes.js';
import { ApiFixture, token } from './api-fixture.js';

let f: ApiFixture;
afterEach(() => f?.close());

const auth = `Authorization: Bearer ${token}\r\n`;
const port = (): number => Number(new URL(f.url).port);

async function started(): Promise<ApiFixture> {
  f = new ApiFixture();
  await f.backends('b1');
  return f.start();
}

/** The node still answers: nothing above crashed or wedged the listener. */
async function stillServing(): Promise<void> {
  expect((await f.call('GET', '/api/v1/status')).status).toBe(200);
}

describe('hostile input to the admin API', () => {
  it('refuses a declared body over 64 KiB with 413 before reading it, and closes the connection', async () => {
    await started();
    const raw = await RawHttpConnection.open(port());
    raw.write(`POST /api/v1/backends HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`);
    raw.write(`Content-Length: ${64 * 1024 + 1}\r\n\r\n{"id":`);
    const response = await raw.readResponse();
    expect({
      status: response.status,
      code: JSON.parse(response.body).code,
      connection: response.headers.connection,
    }).toEqual({
      status: 413,
      code: 'MOORING_ERR_ADMIN_BODY_TOO_LARGE',
      connection: 'close',
    });
    await expect.poll(() => raw.ended).toBe(true);
    await stillServing();
  });

  it('refuses a chunked body with 413 once it passes 64 KiB', async () => {
    await started();
    const raw = await RawHttpConnection.open(port());
    raw.write(`POST /api/v1/backends HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`);
    raw.write('Transfer-Encoding: chunked\r\n\r\n');
    const chunk = 'x'.repeat(16 * 1024);
    for (let i = 0; i < 5; i++) raw.write(`${chunk.length.toString(16)}\r\n${chunk}\r\n`);
    const response = await raw.readResponse();
    expect({ status: response.status, code: JSON.parse(response.body).code }).toEqual({
      status: 413,
      code: 'MOORING_ERR_ADMIN_BODY_TOO_LARGE',
    });
    await stillServing();
  });

  it.each([
    ['invalid JSON', '{"id": "b1",', 'application/json', 400, 'MOORING_ERR_ADMIN_BODY_INVALID'],
    ['a JSON array', '[1, 2]', 'application/json', 400, 'MOORING_ERR_ADMIN_BODY_INVALID'],
    ['JSON null', 'null', 'application/json; charset=utf-8', 400, 'MOORING_ERR_ADMIN_BODY_INVALID'],
    ['a form', 'id=b1&url=http://x', 'application/x-www-form-urlencoded', 415, 'MOORING_ERR_ADMIN_CONTENT_TYPE'],
    ['text', '{"id":"b1"}', 'text/plain', 415, 'MOORING_ERR_ADMIN_CONTENT_TYPE'],
  ])('refuses %s', async (_case, body, type, status, code) => {
    await started();
    const answer = await f.call('POST', '/api/v1/backends', { body, headers: { 'content-type': type } });
    expect({ status: answer.status, code: answer.body.code }).toEqual({ status, code });
    await stillServing();
  });

  it('refuses a body with no content type (415) and bytes that are not UTF-8 (400)', async () => {
    await started();
    for (const [head, body, status] of [
      ['', '{"id":"b2","url":"http://10.0.0.2:80"}', 415],
      ['Content-Type: application/json\r\n', Buffer.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]), 400],
    ] as const) {
      const raw = await RawHttpConnection.open(port());
      raw.write(`POST /api/v1/backends HTTP/1.1\r\nHost: x\r\n${auth}${head}Content-Length: ${body.length}\r\n\r\n`);
      raw.write(body);
      expect((await raw.readResponse()).status).toBe(status);
    }
    expect((await f.memory.readRegistry()).backends.map((backend) => backend.id)).toEqual(['b1']);
  });

  it.each([
    ['PUT', '/api/v1/status', 'GET, HEAD'],
    ['POST', '/api/v1/status', 'GET, HEAD'],
    ['DELETE', '/api/v1/backends', 'GET, POST, HEAD'],
    ['PATCH', '/api/v1/backends', 'GET, POST, HEAD'],
    ['GET', '/api/v1/backends/b1/drain', 'POST'],
    ['GET', '/api/v1/backends/b1', 'DELETE'],
    ['OPTIONS', '/api/v1/connections', 'GET, HEAD'],
  ])('answers %s %s with 405 and Allow: %s', async (method, path, allow) => {
    await started();
    const { status, headers, body } = await f.call(method, path);
    expect({ status, allow: headers.allow, code: body.code }).toEqual({
      status: 405,
      allow,
      code: 'MOORING_ERR_ADMIN_METHOD_NOT_ALLOWED',
    });
  });

  it.each(['/api/v1/nope', '/api/v1/backends/b1/explode', '/api/v1/backends//drain', '/api/v2/status', '/api/v1/'])(
    'answers %s with 404',
    async (path) => {
      await started();
      const { status, body } = await f.call('POST', path);
      expect({ status, code: body.code }).toEqual({ status: 404, code: 'MOORING_ERR_ADMIN_NOT_FOUND' });
    },
  );

  it('answers 408 to a client that stops sending its body, and closes', async () => {
    f = new ApiFixture();
    await f.backends('b1');
    await f.start(createApiRoutes({ maxBytes: 64 * 1024, timeoutMs: 100 }));
    const raw = await RawHttpConnection.open(port());
    raw.write(`POST /api/v1/backends/b1/drain HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`);
    raw.write('Content-Length: 40\r\n\r\n{"dead');
    const response = await raw.readResponse();
    expect({ status: response.status, code: JSON.parse(response.body).code }).toEqual({
      status: 408,
      code: 'MOORING_ERR_ADMIN_BODY_TIMEOUT',
    });
    await expect.poll(() => raw.ended).toBe(true);
    expect(await f.memory.readDrains()).toEqual(new Map());
  });

  it('survives a client that leaves mid-body, and logs the mutation once', async () => {
    await started();
    const socket = connect({ port: port(), host: '127.0.0.1' });
    await once(socket, 'connect');
    const received = once(f.server, 'request');
    socket.write(`POST /api/v1/backends/b1/drain HTTP/1.1\r\nHost: x\r\n${auth}Content-Type: application/json\r\n`);
    socket.write('Content-Length: 40\r\n\r\n{"dead');
    await received;
    socket.destroy();
    await expect.poll(() => f.mutationLogs().map((line) => line.result)).toEqual(['client-gone']);
    expect(await f.memory.readDrains()).toEqual(new Map());
    await stillServing();
  });
});
