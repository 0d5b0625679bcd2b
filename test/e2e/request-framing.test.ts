import {
  RawHttpConnection,
  startMooringNode,
  startRecordingHttpBackend,
  type MooringNode,
  type RecordingHttpBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// One worker in front of one keep-alive backend, so every request travels over the same
// pooled backend connection: a request smuggled into it would be parsed by the backend and
// its answer handed to whoever comes next (RFC 9112 §6, §11.2).
let backend: RecordingHttpBackend;
let node: MooringNode;
beforeAll(async () => {
  backend = await startRecordingHttpBackend();
  node = await startMooringNode({
    workers: 1,
    args: ['--backend', `b1=${backend.url}`, '--health-path', healthProbePath],
  });
});
afterAll(async () => {
  await node?.stop();
  await backend?.close();
});

/** Mooring's own health probes reach the backend every 2 s, between any two client requests. */
const healthProbePath = '/mooring-health-probe';
/** What the backend parsed since `before`, without the health probes. */
const parsedSince = (before: number) =>
  backend.requests
    .slice(before)
    .filter((request) => request.url !== healthProbePath)
    .map((request) => ({ method: request.method, url: request.url, body: request.body }));

/** A complete request the backend must never see: it is only the body of the client's request. */
const smuggled = 'GET /smuggled HTTP/1.1\r\nHost: backend\r\nContent-Length: 0\r\n\r\n';
const chunked = (text: string): string => `${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`;

interface Framing {
  readonly name: string;
  readonly headers: readonly string[];
  readonly body: string;
  /** Whether Mooring must refuse the request (400) instead of forwarding it. */
  readonly refused?: boolean;
}

const framings: readonly Framing[] = [
  { name: 'Content-Length', headers: [`Content-Length: ${smuggled.length}`], body: smuggled },
  { name: 'chunked', headers: ['Transfer-Encoding: chunked'], body: chunked(smuggled) },
  {
    name: 'Content-Length named by Connection',
    headers: ['Connection: keep-alive, Content-Length', `Content-Length: ${smuggled.length}`],
    body: smuggled,
  },
  {
    name: 'chunked named by Connection',
    headers: ['Connection: keep-alive, Transfer-Encoding', 'Transfer-Encoding: chunked'],
    body: chunked(smuggled),
  },
  {
    name: 'Content-Length and chunked',
    headers: [`Content-Length: ${smuggled.length}`, 'Transfer-Encoding: chunked'],
    body: chunked(smuggled),
    refused: true,
  },
  {
    name: 'both, named by Connection',
    headers: [
      'Connection: Content-Length, Transfer-Encoding',
      `Content-Length: ${smuggled.length}`,
      'Transfer-Encoding: chunked',
    ],
    body: chunked(smuggled),
    refused: true,
  },
];
const methods = ['GET', 'HEAD', 'DELETE', 'OPTIONS', 'POST', 'PUT'] as const;
const cases = methods.flatMap((method) => framings.map((framing) => [method, framing.name, framing] as const));

describe('request framing: a body reaches the backend framed exactly as the client framed it', () => {
  it.each(cases)('%s with %s', async (method, _name, framing) => {
    const before = backend.requests.length;
    const attacker = await RawHttpConnection.open(node.port);
    const next = await RawHttpConnection.open(node.port);
    try {
      attacker.write([`${method} /a HTTP/1.1`, 'Host: app.example', ...framing.headers, '', framing.body].join('\r\n'));
      const answer = await attacker.readResponse(method);
      if (framing.refused) {
        expect(answer.status).toBe(400);
      } else {
        expect(answer.status).toBe(200);
        if (method !== 'HEAD')
          expect(JSON.parse(answer.body)).toMatchObject({ method, url: '/a', bodyLength: smuggled.length });
      }
      // The next client, likely on the same pooled backend connection, gets its own answer.
      next.write('GET /b HTTP/1.1\r\nHost: app.example\r\n\r\n');
      expect(JSON.parse((await next.readResponse()).body)).toMatchObject({ method: 'GET', url: '/b' });
      const seen = parsedSince(before);
      const expected = framing.refused ? [] : [{ method, url: '/a', body: smuggled }];
      expect(seen).toEqual([...expected, { method: 'GET', url: '/b', body: '' }]);
    } finally {
      attacker.close();
      next.close();
    }
  });

  it('forwards the framing headers themselves, whatever Connection names', async () => {
    const before = backend.requests.length;
    const client = await RawHttpConnection.open(node.port);
    try {
      client.write(
        [
          'GET /framed HTTP/1.1',
          'Host: app.example',
          'Connection: Transfer-Encoding, Content-Length, Host',
          'Transfer-Encoding: chunked',
          '',
          chunked('hello'),
        ].join('\r\n'),
      );
      expect((await client.readResponse()).status).toBe(200);
      const request = backend.requests.slice(before).find((parsed) => parsed.url !== healthProbePath);
      expect(request).toMatchObject({ url: '/framed', body: 'hello' });
      expect(request!.headers).toMatchObject({ 'transfer-encoding': 'chunked', host: 'app.example' });
    } finally {
      client.close();
    }
  });
});

describe('header order', () => {
  it('keeps the order the client sent, Host first', async () => {
    const before = backend.requests.length;
    const client = await RawHttpConnection.open(node.port);
    try {
      client.write(
        [
          'GET /order HTTP/1.1',
          'Host: app.example',
          'X-First: 1',
          'Accept: */*',
          'User-Agent: order-test',
          'X-Last: 2',
          '',
          '',
        ].join('\r\n'),
      );
      expect((await client.readResponse()).status).toBe(200);
      const request = backend.requests.slice(before).find((parsed) => parsed.url !== healthProbePath);
      const order = request!.headerOrder.filter((name) => !name.startsWith('x-forwarded-') && name !== 'connection');
      expect(order).toEqual(['host', 'x-first', 'accept', 'user-agent', 'x-last']);
    } finally {
      client.close();
    }
  });
});
