/**
 * RFC 9110 §7.6.1: a response's connection-scoped headers. They describe the backend connection;
 * the client connection gets its own from Node (`Connection`, `Keep-Alive`, and the framing:
 * Content-Length when the backend gave one, else chunked to HTTP/1.1 clients and close-delimited
 * to HTTP/1.0 ones).
 */
const hopByHop = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
]);
/** Their lengths: most names are none of them, which their length alone says without lower-casing. */
const hopByHopLengths = new Set([...hopByHop].map((name) => name.length));

/** A `Connection` value naming no header (the common case: no list to apply). */
const namesNoHeader = /^[\t ]*(?:keep-alive|close)[\t ]*$/i;

/** Headers a backend's `Connection` list can never remove: Content-Length frames the body. */
const neverListed = new Set(['content-length']);

/**
 * The headers of a backend's response as the client receives them, in the backend's order and
 * spelling (undici's raw name/value pairs, latin1 as on the wire), without the hop-by-hop ones
 * or those its `Connection` names, and with `setCookie` appended after the backend's own cookies.
 * The flat `[name, value, …]` form goes straight to `res.writeHead`, which checks every name and
 * value again: a value the backend could split a response with never reaches the client.
 */
export function clientResponseHeaders(raw: readonly Buffer[], setCookie: string | undefined): string[] {
  const headers: string[] = [];
  let listed: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i]!.toString('latin1');
    const lower = hopByHopLengths.has(name.length) ? name.toLowerCase() : '';
    if (hopByHop.has(lower)) {
      if (lower === 'connection') {
        const value = raw[i + 1]!.toString('latin1');
        if (!namesNoHeader.test(value)) listed = listed === undefined ? value : `${listed},${value}`;
      }
      continue;
    }
    headers.push(name, raw[i + 1]!.toString('latin1'));
  }
  const forwarded = listed === undefined ? headers : withoutListed(headers, listed);
  if (setCookie !== undefined) forwarded.push('set-cookie', setCookie);
  return forwarded;
}

/** Drops the headers a `Connection` value names (its `close` and `keep-alive` name none). */
function withoutListed(headers: string[], listed: string): string[] {
  const names = new Set(
    listed
      .split(',')
      .map((name) => name.trim().toLowerCase())
      .filter((name) => name !== '' && !neverListed.has(name)),
  );
  if (names.size === 0) return headers;
  const kept: string[] = [];
  for (let i = 0; i < headers.length; i += 2)
    if (!names.has(headers[i]!.toLowerCase())) kept.push(headers[i]!, headers[i + 1]!);
  return kept;
}
