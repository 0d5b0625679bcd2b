import { describe, it, expect } from 'vitest';
import { parseHttpResponse } from '../src/index.js';

const parse = (text: string) => parseHttpResponse(Buffer.from(text, 'latin1'));

describe('parseHttpResponse', () => {
  it('parses a content-length response', () => {
    const res = parse('HTTP/1.1 400 Bad Request\r\nContent-Length: 2\r\nConnection: close\r\n\r\nno');
    expect(res).toMatchObject({ statusLine: 'HTTP/1.1 400 Bad Request', statusCode: 400, body: 'no' });
    expect(res.headers.connection).toBe('close');
  });

  it('decodes chunked bodies with extensions and trailers', () => {
    const res = parse(
      'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n2\r\nde\r\n0\r\nX-T: 1\r\n\r\n',
    );
    expect(res.body).toBe('abcde');
  });

  it('returns the bytes after a 101 as they are', () => {
    const res = parse('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x00');
    expect(res.statusCode).toBe(101);
    expect(res.body.length).toBe(2);
  });

  it.each([
    ['no header terminator', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n'],
    ['bare LF line endings', 'HTTP/1.1 200 OK\nContent-Length: 0\n\n'],
    ['bare LF inside the head', 'HTTP/1.1 200 OK\r\nA: 1\nB: 2\r\n\r\n'],
    ['a bad status line', 'HTTP/1.1 2000 OK\r\n\r\n'],
    ['not HTTP', 'SSH-2.0-OpenSSH\r\n\r\n'],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n'],
    ['obsolete line folding', 'HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\nContent-Length: 0\r\n\r\n'],
    ['a short body', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nabc'],
    ['a long body', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nabc'],
    ['both framings', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n'],
    ['a truncated chunked body', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'],
    ['a missing last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n'],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n'],
  ])('rejects %s', (_why, text) => {
    expect(() => parse(text)).toThrow(expect.objectContaining({ code: 'TESTKIT_ERR_MALFORMED_HTTP' }));
  });
});
