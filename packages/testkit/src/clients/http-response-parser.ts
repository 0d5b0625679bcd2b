import { TestkitError } from '../errors/testkit-error.js';

/** A fully parsed HTTP/1.x response. */
export interface ParsedHttpResponse {
  /** e.g. `HTTP/1.1 403 Forbidden` */
  statusLine: string;
  statusCode: number;
  /** Lower-cased names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** Header lines in order, names as sent. */
  rawHeaders: Array<[string, string]>;
  /** Decoded body (chunked framing removed), as UTF-8. */
  body: string;
  /** The whole response as received, as UTF-8. */
  raw: string;
}

const STATUS_LINE = /^HTTP\/1\.[01] ([1-5]\d\d) [\t\x20-\x7e\x80-\xff]*$/;
// RFC 9110 §5.1 field-name = token; §5.5 field-value = VCHAR / obs-text / SP / HTAB.
const HEADER_LINE = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+):[\t ]*([\t\x20-\x7e\x80-\xff]*?)[\t ]*$/;
const CHUNK_SIZE_LINE = /^([0-9A-Fa-f]+)(;[\t\x20-\x7e]*)?$/;

function malformed(why: string): never {
  throw new TestkitError('TESTKIT_ERR_MALFORMED_HTTP', `malformed HTTP response: ${why}`);
}

/**
 * Strictly parses one complete HTTP/1.x response (RFC 9112): CRLF line
 * endings only, token header names, no obsolete line folding, a body framed
 * exactly by Content-Length or chunked encoding (or by connection close),
 * never both. Throws TESTKIT_ERR_MALFORMED_HTTP on any deviation.
 */
export function parseHttpResponse(raw: Buffer): ParsedHttpResponse {
  const text = raw.toString('latin1');
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) malformed('no end of header section (CRLF CRLF)');
  const lines = text.slice(0, headEnd).split('\r\n');
  const statusLine = lines.shift() ?? '';
  const status = STATUS_LINE.exec(statusLine);
  if (!status) malformed(`bad status line ${JSON.stringify(statusLine)}`);
  const rawHeaders = lines.map(parseHeaderLine);
  const headers: Record<string, string> = {};
  for (const [name, value] of rawHeaders) {
    const key = name.toLowerCase();
    headers[key] = headers[key] === undefined ? value : `${headers[key]}, ${value}`;
  }
  const statusCode = Number(status[1]);
  const body = parseBody(raw.subarray(headEnd + 4), statusCode, headers);
  return {
    statusLine: Buffer.from(statusLine, 'latin1').toString('utf8'),
    statusCode,
    headers,
    rawHeaders,
    body: body.toString('utf8'),
    raw: raw.toString('utf8'),
  };
}

function parseHeaderLine(line: string): [string, string] {
  if (/[\r\n]/.test(line)) malformed(`bare CR or LF in header line ${JSON.stringify(line)}`);
  const match = HEADER_LINE.exec(line);
  if (!match) malformed(`bad header line ${JSON.stringify(line)}`);
  return [match[1] ?? '', Buffer.from(match[2] ?? '', 'latin1').toString('utf8')];
}

function parseBody(rest: Buffer, statusCode: number, headers: Record<string, string>): Buffer {
  const chunked = headers['transfer-encoding'];
  const length = headers['content-length'];
  // RFC 9112 §6.3: both framings at once is a request-smuggling vector.
  if (chunked !== undefined && length !== undefined) malformed('both Transfer-Encoding and Content-Length');
  // 1xx, 204 and 304 have no body; after a 101 the bytes are WebSocket frames.
  if (statusCode < 200 || statusCode === 204 || statusCode === 304) return rest;
  if (chunked !== undefined) {
    if (chunked.toLowerCase() !== 'chunked') malformed(`unsupported Transfer-Encoding ${chunked}`);
    return decodeChunked(rest);
  }
  if (length !== undefined) {
    if (!/^\d+$/.test(length)) malformed(`bad Content-Length ${JSON.stringify(length)}`);
    if (rest.length !== Number(length)) malformed(`Content-Length ${length} but ${rest.length} body bytes`);
  }
  return rest;
}

/** Decodes a complete chunked body (RFC 9112 §7.1); trailers are checked and dropped. */
export function decodeChunked(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', offset, 'latin1');
    if (lineEnd < 0) malformed('truncated chunk size line');
    const sizeLine = data.subarray(offset, lineEnd).toString('latin1');
    const match = CHUNK_SIZE_LINE.exec(sizeLine);
    if (!match) malformed(`bad chunk size line ${JSON.stringify(sizeLine)}`);
    const size = parseInt(match[1] ?? '', 16);
    offset = lineEnd + 2;
    if (size === 0) return finishTrailers(data, offset, parts);
    if (offset + size + 2 > data.length) malformed('truncated chunk data');
    parts.push(data.subarray(offset, offset + size));
    if (data.subarray(offset + size, offset + size + 2).toString('latin1') !== '\r\n')
      malformed('chunk data not followed by CRLF');
    offset += size + 2;
  }
}

function finishTrailers(data: Buffer, offset: number, parts: Buffer[]): Buffer {
  const rest = data.subarray(offset).toString('latin1');
  const end = rest.indexOf('\r\n\r\n');
  if (rest.startsWith('\r\n')) {
    if (rest.length !== 2) malformed('bytes after the last chunk');
  } else if (end < 0 || end + 4 !== rest.length) {
    malformed('bad trailer section');
  } else {
    rest.slice(0, end).split('\r\n').forEach(parseHeaderLine);
  }
  return Buffer.concat(parts);
}
