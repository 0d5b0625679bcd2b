import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import {
  parseHttpResponse,
  rawExchange,
  startMooringNode,
  startRecordingHttpBackend,
  type MooringNode,
  type RecordingHttpBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startScriptedBackend, type ScriptedBackend } from '../support/scripted-backend.js';

// Plain HTTP goes to backends through undici. A backend can be broken or hostile as well as a
// client: whatever it sends, a client gets a well-formed response (its own, or a 502), never
// bytes the backend meant for another response, and never a header the backend smuggled in.

let scripted: ScriptedBackend;
let node: MooringNode;
beforeAll(async () => {
  scripted = await startScriptedBackend();
  node = await startMooringNode({
    workers: 1,
    args: ['--backend', `hostile=${scripted.url}`, '--health-interval', '0', '--request-timeout', '5s'],
  });
});
afterAll(async () => {
  await node?.stop();
  await scripted?.close();
});

/** One request on its own client connection (`Connection: close`), and every byte that came back. */
async function exchange(path: string, extraHead = ''): Promise<string> {
  const { raw } = await rawExchange(
    node.port,
    `GET ${path} HTTP/1.1\r\nHost: app.example\r\n${extraHead}Connection: close\r\n\r\n`,
    {
      silenceMs: 5_000,
    },
  );
  return raw.toString('latin1');
}

const ok = (body: string, head = ''): string =>
  `HTTP/1.1 200 OK\r\n${head}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('a backend response that breaks HTTP/1.1', () => {
  const broken: ReadonlyArray<readonly [string, string]> = [
    [
      'Content-Length and chunked',
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n',
    ],
    ['two Content-Lengths', 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nok'],
    ['a CR inside a header value', 'HTTP/1.1 200 OK\r\nX-A: a\rSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok'],
    ['a NUL inside a header value', 'HTTP/1.1 200 OK\r\nX-A: a\0Set-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok'],
    [
      'a folded header (obs-fold)',
      'HTTP/1.1 200 OK\r\nX-A: a\r\n Set-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok',
    ],
    ['a space before the colon', 'HTTP/1.1 200 OK\r\nSet-Cookie : injected=1\r\nContent-Length: 2\r\n\r\nok'],
    [
      'a head of 20 KiB',
      `HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(20_000)}\r\nSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok`,
    ],
    ['a status code of four digits', 'HTTP/1.1 2000 OK\r\nSet-Cookie: injected=1\r\nContent-Length: 2\r\n\r\nok'],
  ];

  it.each(broken)(
    '%s: the client gets a 502 with a Mooring code, nothing of the backend’s head',
    async (name, bytes) => {
      const path = `/broken-${broken.findIndex(([n]) => n === name)}`;
      scripted.script(path, (socket) => {
        socket.write(bytes);
        socket.end();
      });
      const raw = await exchange(path);
      const response = parseHttpResponse(Buffer.from(raw, 'latin1'));
      expect(response.statusCode).toBe(502);
      expect(JSON.parse(response.body)).toMatchObject({ code: 'MOORING_ERR_BACKEND_FAILED' });
      expect(raw).not.toContain('injected');
    },
  );

  it('a bad chunk size after the head: the client connection is cut before a complete response', async () => {
    scripted.script('/bad-chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n');
    const raw = await exchange('/bad-chunk');
    expect(raw).not.toContain('hello');
    if (raw !== '') expect(() => parseHttpResponse(Buffer.from(raw, 'latin1'))).toThrow();
  });

  it('a body longer than its Content-Length: the extra bytes never answer the next request', async () => {
    scripted.script('/extra', `${ok('ok')}${ok('smuggled')}`);
    scripted.script('/next', ok('next'));
    expect(parseHttpResponse(Buffer.from(await exchange('/extra'), 'latin1')).body).toBe('ok');
    const next = parseHttpResponse(Buffer.from(await exchange('/next'), 'latin1'));
    expect(next.body).toBe('next');
    const [extra, after] = ['/extra', '/next'].map((path) => scripted.requests.findLast((r) => r.path === path)!);
    // Pipelining 1: the connection that sent bytes nobody asked for was dropped, not reused.
    expect(after!.connection).not.toBe(extra!.connection);
  });

  it('a client that leaves mid-upload is not a backend failure: the attempt stops, the backend is not reported', async () => {
    const closed = { value: false };
    scripted.script('/upload-abort', (socket) => socket.once('close', () => (closed.value = true)));
    const client = connect({ host: '127.0.0.1', port: node.port });
    await once(client, 'connect');
    client.write(
      `POST /upload-abort HTTP/1.1\r\nHost: app.example\r\nContent-Length: 1000000\r\n\r\n${'x'.repeat(1000)}`,
    );
    await expect.poll(() => scripted.requests.some((request) => request.path === '/upload-abort')).toBe(true);
    client.destroy();
    // undici's attempt is aborted: Mooring closes its connection to the backend.
    await expect.poll(() => closed.value).toBe(true);
    // A backend failure logged after it, from the same worker: every line about the abort came before.
    scripted.script('/marker', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nok');
    const mark = node.logs.length;
    await exchange('/marker');
    await node.waitForLog((line) => line.msg === 'backend failed while answering' && node.logs.indexOf(line) >= mark);
    expect(node.logs.filter((line) => line.msg === 'backend refused a request')).toEqual([]);
  });
});

describe('what a backend response keeps', () => {
  it('drops the connection-scoped headers and those its Connection names; keeps the rest in order', async () => {
    scripted.script(
      '/hop',
      ok(
        'ok',
        'X-First: 1\r\nConnection: keep-alive, X-Hop\r\nKeep-Alive: timeout=1\r\nX-Hop: secret\r\nProxy-Connection: keep-alive\r\nTrailer: X-T\r\nUpgrade: h2c\r\nX-Last: 2\r\n',
      ),
    );
    const response = parseHttpResponse(Buffer.from(await exchange('/hop'), 'latin1'));
    expect(response.statusCode).toBe(200);
    expect(response.body).toBe('ok');
    for (const name of ['x-hop', 'proxy-connection', 'trailer', 'upgrade'])
      expect(response.headers[name], name).toBeUndefined();
    expect(response.headers['keep-alive']).not.toBe('timeout=1');
    expect(response.headers.connection).toBe('close');
    const names = response.rawHeaders.map(([name]) => name);
    expect(names.indexOf('X-First')).toBeLessThan(names.indexOf('X-Last'));
  });

  it('relays only the final response after 1xx interim ones', async () => {
    scripted.script('/early-hints', `HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n${ok('final')}`);
    const raw = await exchange('/early-hints');
    expect(raw.startsWith('HTTP/1.1 200 ')).toBe(true);
    expect(parseHttpResponse(Buffer.from(raw, 'latin1')).body).toBe('final');
  });

  it('re-frames a chunked answer for an HTTP/1.0 client (no chunked encoding to it)', async () => {
    scripted.script('/chunked', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n');
    const { raw } = await rawExchange(node.port, 'GET /chunked HTTP/1.0\r\nHost: app.example\r\n\r\n', {
      silenceMs: 5_000,
    });
    const text = raw.toString('latin1');
    expect(text.toLowerCase()).not.toContain('transfer-encoding');
    expect(text.endsWith('\r\n\r\nhello')).toBe(true);
  });

  it('streams with backpressure: a client that stops reading stops the backend', async () => {
    const total = 64 * 1024 * 1024;
    const state = { written: 0, waiting: false };
    scripted.script('/stream', (socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 'x');
      const pump = (): void => {
        state.waiting = false;
        while (state.written < total) {
          state.written += chunk.length;
          if (!socket.write(chunk)) {
            state.waiting = true;
            socket.once('drain', pump);
            return;
          }
        }
      };
      pump();
    });
    const client = connect({ host: '127.0.0.1', port: node.port });
    await once(client, 'connect');
    client.write('GET /stream HTTP/1.1\r\nHost: app.example\r\nConnection: close\r\n\r\n');
    await once(client, 'readable');
    client.pause();
    let last = -1;
    // Stalled: waiting for 'drain' and not one byte further between two looks.
    await expect
      .poll(
        () => {
          const stalled = state.waiting && state.written === last;
          last = state.written;
          return stalled;
        },
        { interval: 250, timeout: 15_000 },
      )
      .toBe(true);
    expect(state.written).toBeLessThan(total / 2);
    let received = 0;
    client.on('data', (data: Buffer) => (received += data.length));
    client.resume();
    await once(client, 'end');
    expect(received).toBeGreaterThan(total);
    client.destroy();
  });
});

describe('hostile client requests through the undici path', () => {
  let recording: RecordingHttpBackend;
  let recorded: MooringNode;
  beforeAll(async () => {
    recording = await startRecordingHttpBackend();
    recorded = await startMooringNode({
      workers: 1,
      args: ['--backend', `b1=${recording.url}`, '--health-path', '/mooring-health-probe'],
    });
  });
  afterAll(async () => {
    await recorded?.stop();
    await recording?.close();
  });

  const seen = (path: string) => recording.requests.filter((request) => request.url === path);

  it('Expect: 100-continue is answered by Mooring; the backend gets the body and no Expect', async () => {
    const client = connect({ host: '127.0.0.1', port: recorded.port });
    await once(client, 'connect');
    const text = readAll(client);
    client.write(
      'POST /expect HTTP/1.1\r\nHost: app.example\r\nExpect: 100-continue\r\nContent-Length: 5\r\nConnection: close\r\n\r\n',
    );
    await expect.poll(() => text.value, { timeout: 5_000 }).toContain('HTTP/1.1 100 Continue\r\n\r\n');
    client.write('hello');
    await once(client, 'close');
    const final = text.value.slice(text.value.indexOf('\r\n\r\n') + 4);
    expect(parseHttpResponse(Buffer.from(final, 'latin1')).statusCode).toBe(200);
    const [request] = seen('/expect');
    expect(request).toMatchObject({ method: 'POST', body: 'hello' });
    expect(request!.headers.expect).toBeUndefined();
  });

  it('OPTIONS * (asterisk-form, which undici cannot send) gets 400 with a Mooring code', async () => {
    const { raw } = await rawExchange(recorded.port, 'OPTIONS * HTTP/1.1\r\nHost: app.example\r\n\r\n', {
      silenceMs: 3_000,
    });
    const response = parseHttpResponse(raw);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body)).toMatchObject({ code: 'MOORING_ERR_REQUEST_MALFORMED' });
    expect(response.headers.connection).toBe('close');
  });

  it.each([
    [
      'a folded header (obs-fold)',
      'GET /fold HTTP/1.1\r\nHost: app.example\r\nX-A: a\r\n Injected: 1\r\n\r\n',
      '/fold',
    ],
    [
      'a bad chunk size',
      'POST /chunk HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n',
      '/chunk',
    ],
    [
      'a chunk shorter than its size',
      'POST /short HTTP/1.1\r\nHost: app.example\r\nTransfer-Encoding: chunked\r\n\r\n10\r\nhello\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: a\r\n\r\n',
      '/short',
    ],
  ])('%s never reaches the backend as a complete request', async (_name, request, path) => {
    const { raw } = await rawExchange(recorded.port, request, { silenceMs: 3_000 });
    const text = raw.toString('latin1');
    expect(text).toMatch(/^HTTP\/1\.1 400 /);
    expect(seen(path)).toEqual([]);
    expect(seen('/smuggled')).toEqual([]);
    expect(recording.requests.some((parsed) => JSON.stringify(parsed.headers).includes('injected'))).toBe(false);
  });
});

/** Everything a socket receives, as latin1 text, growing as it comes. */
function readAll(socket: Socket): { value: string } {
  const text = { value: '' };
  socket.on('data', (data: Buffer) => (text.value += data.toString('latin1')));
  return text;
}
