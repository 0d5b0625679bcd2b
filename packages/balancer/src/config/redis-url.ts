/**
 * The `--redis` URL forms, parsed in one place for `mooring start` (config), every operator
 * command and the state store. Pure: text in, a target or a reason out; no I/O, no DNS.
 *
 * - `redis://[user:pass@]host[:port][/db]`, `rediss://…` (TLS): one standalone Redis (or a
 *   primary behind a fixed address).
 * - `redis+sentinel://[user:pass@]host[:port][,host[:port]…]/MASTER_NAME[/db]`: the sentinels to
 *   ask for the master; the credentials are the master's (the sentinels' own password is an
 *   option, `--redis-sentinel-password`, so that it never sits in a URL).
 * - `redis+cluster://[user:pass@]host[:port][,host[:port]…]`: seed nodes of a Redis Cluster.
 */

/** One `host:port` of a URL; IPv6 addresses without their brackets. */
export interface RedisEndpoint {
  readonly host: string;
  readonly port: number;
}

/** ACL user and password from the URL's user info; both optional. */
export interface RedisCredentials {
  readonly username?: string;
  readonly password?: string;
}

/** What a `--redis` URL names. */
export type RedisTarget =
  | (RedisCredentials & {
      readonly kind: 'standalone';
      readonly tls: boolean;
      readonly endpoint: RedisEndpoint;
      readonly db: number;
    })
  | (RedisCredentials & {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisEndpoint[];
      readonly masterName: string;
      readonly db: number;
    })
  | (RedisCredentials & { readonly kind: 'cluster'; readonly nodes: readonly RedisEndpoint[] });

/** The outcome of {@link parseRedisUrl}: a target, or why the text is not one (never echoing a password). */
export type RedisUrlResult =
  { readonly ok: true; readonly target: RedisTarget } | { readonly ok: false; readonly reason: string };

const schemes = {
  redis: { kind: 'standalone', tls: false, defaultPort: 6379 },
  rediss: { kind: 'standalone', tls: true, defaultPort: 6379 },
  'redis+sentinel': { kind: 'sentinel', tls: false, defaultPort: 26379 },
  'redis+cluster': { kind: 'cluster', tls: false, defaultPort: 6379 },
} as const;
type Scheme = keyof typeof schemes;

/** Longer than any real URL; a bound so hostile input costs nothing. */
const maxLength = 4096;
/** More seeds than any deployment lists. */
const maxHosts = 64;
const hostName = /^[A-Za-z0-9](?:[A-Za-z0-9_.-]{0,252})$/;
const ipv6 = /^[0-9A-Fa-f:.]{2,45}$/;
const masterName = /^[A-Za-z0-9._-]{1,128}$/;
/** Redis numbers databases from 0; its default build has 16, a configured one may have more. */
const database = /^(?:0|[1-9][0-9]{0,4})$/;

class UrlProblem extends Error {}

/** Whitespace, C0 controls and DEL (a regular expression of control characters is what lint forbids). */
const hasSpaceOrControl = (text: string): boolean =>
  /\s/.test(text) || [...text].some((char) => char.charCodeAt(0) < 0x20 || char.charCodeAt(0) === 0x7f);
const fail = (reason: string): never => {
  throw new UrlProblem(reason);
};

/** Parses one `--redis` URL (see the module comment for the forms). */
export function parseRedisUrl(text: string): RedisUrlResult {
  try {
    return { ok: true, target: parseOrThrow(text) };
  } catch (err) {
    if (err instanceof UrlProblem) return { ok: false, reason: err.message };
    throw err;
  }
}

function parseOrThrow(text: string): RedisTarget {
  if (text.length > maxLength) fail(`expected a Redis URL of at most ${maxLength} characters`);
  // Spaces and control characters are never part of a URL; rejecting them first keeps the rest simple.
  if (hasSpaceOrControl(text)) fail('expected a Redis URL without spaces or control characters');
  const separator = text.indexOf('://');
  const scheme = text.slice(0, Math.max(separator, 0)).toLowerCase();
  if (separator < 0 || !Object.hasOwn(schemes, scheme)) fail('expected a redis:// URL');
  const { kind, tls, defaultPort } = schemes[scheme as Scheme];
  const rest = text.slice(separator + 3);
  if (/[?#]/.test(rest))
    fail(`${scheme}:// URLs take no query or fragment (write ? and # in a password as %3F and %23)`);
  const { credentials, hostList, path } = splitRest(rest);
  const endpoints = parseHosts(hostList, defaultPort);
  if (kind === 'standalone') {
    if (endpoints.length > 1)
      fail(`${scheme}:// takes one host; list several with redis+sentinel:// or redis+cluster://`);
    return { kind, tls, endpoint: endpoints[0]!, db: parseDatabase(path, scheme), ...credentials };
  }
  if (kind === 'sentinel') return { kind, sentinels: endpoints, ...parseSentinelPath(path), ...credentials };
  if (path !== '' && path !== '/') fail('redis+cluster:// takes no path: a Redis Cluster has database 0 only');
  return { kind, nodes: endpoints, ...credentials };
}

/**
 * Splits `[userinfo@]hosts[/path]` as WHATWG URLs do: the authority ends at the first `/`, and
 * its last `@` ends the user info (so a `/` in a password must be written `%2F`).
 */
function splitRest(rest: string): { credentials: RedisCredentials; hostList: string; path: string } {
  const slash = rest.indexOf('/');
  const authority = slash < 0 ? rest : rest.slice(0, slash);
  const path = slash < 0 ? '' : rest.slice(slash);
  const at = authority.lastIndexOf('@');
  const userInfo = at < 0 ? undefined : authority.slice(0, at);
  return { credentials: parseUserInfo(userInfo), hostList: authority.slice(at + 1), path };
}

function parseUserInfo(userInfo: string | undefined): RedisCredentials {
  if (userInfo === undefined) return {};
  const colon = userInfo.indexOf(':');
  const username = decode(colon < 0 ? userInfo : userInfo.slice(0, colon), 'user name');
  const password = colon < 0 ? undefined : decode(userInfo.slice(colon + 1), 'password');
  return {
    ...(username === '' ? {} : { username }),
    ...(password === undefined || password === '' ? {} : { password }),
  };
}

function decode(text: string, what: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // Names the part, never its text: it may be a password.
    return fail(`the ${what} in the Redis URL has an invalid %-escape`);
  }
}

function parseHosts(hostList: string, defaultPort: number): RedisEndpoint[] {
  if (hostList === '') fail('expected a host in the Redis URL, such as redis://127.0.0.1:6379');
  const parts = hostList.split(',');
  if (parts.length > maxHosts) fail(`expected at most ${maxHosts} hosts in the Redis URL`);
  return parts.map((part) => parseEndpoint(part, defaultPort));
}

function parseEndpoint(part: string, defaultPort: number): RedisEndpoint {
  const bracketed = /^\[([^\]]*)\](?::(.*))?$/.exec(part);
  const host = bracketed ? bracketed[1]! : part.split(':')[0]!;
  const portText = bracketed ? bracketed[2] : part.includes(':') ? part.slice(part.indexOf(':') + 1) : undefined;
  const validHost = bracketed ? ipv6.test(host) && host.includes(':') : hostName.test(host);
  if (!validHost) fail(`expected a host name or address in the Redis URL, got ${JSON.stringify(part)}`);
  if (portText === undefined) return { host, port: defaultPort };
  const port = /^[0-9]{1,5}$/.test(portText) ? Number(portText) : 0;
  if (port < 1 || port > 65535) fail(`expected a port from 1 to 65535 in the Redis URL, got ${JSON.stringify(part)}`);
  return { host, port };
}

function parseDatabase(path: string, scheme: string): number {
  if (path === '' || path === '/') return 0;
  const number = path.slice(1);
  if (!database.test(number))
    fail(`${scheme}:// takes a database number as its path (/0, /1…), got ${JSON.stringify(path)}`);
  return Number(number);
}

function parseSentinelPath(path: string): { masterName: string; db: number } {
  const [, name = '', db, ...extra] = path.split('/');
  if (!masterName.test(name)) {
    fail('redis+sentinel:// needs the master name as its path (/MASTER_NAME: letters, digits, ".", "_" or "-")');
  }
  if (extra.length > 0) fail('redis+sentinel:// takes /MASTER_NAME and an optional /db, nothing more');
  return { masterName: name, db: db === undefined ? 0 : parseDatabase(`/${db}`, 'redis+sentinel') };
}

/**
 * The target as it may be logged or shown: its canonical URL with any password replaced by `***`.
 * Never includes a secret given as an option (the sentinel password).
 */
export function describeRedisTarget(target: RedisTarget): string {
  const user = target.username === undefined ? '' : encodeURIComponent(target.username);
  const auth = target.password === undefined ? (user === '' ? '' : `${user}@`) : `${user}:***@`;
  const hosts = (endpoints: readonly RedisEndpoint[]): string => endpoints.map(formatEndpoint).join(',');
  switch (target.kind) {
    case 'standalone': {
      const db = target.db === 0 ? '' : `/${target.db}`;
      return `${target.tls ? 'rediss' : 'redis'}://${auth}${formatEndpoint(target.endpoint)}${db}`;
    }
    case 'sentinel': {
      const db = target.db === 0 ? '' : `/${target.db}`;
      return `redis+sentinel://${auth}${hosts(target.sentinels)}/${target.masterName}${db}`;
    }
    case 'cluster':
      return `redis+cluster://${auth}${hosts(target.nodes)}`;
  }
}

function formatEndpoint({ host, port }: RedisEndpoint): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/**
 * Any text given as a Redis URL, as it may be logged: the canonical form when it parses; else the
 * text with whatever sits between `://…:` and the last `@` (a password) replaced by `***`.
 */
export function redactRedisUrl(text: string): string {
  const parsed = parseRedisUrl(text);
  if (parsed.ok) return describeRedisTarget(parsed.target);
  // Conservative: the last `@` anywhere, so a password with an unescaped `/` is still hidden.
  const start = text.indexOf('://') + 3;
  const at = text.lastIndexOf('@');
  if (start < 3 || at < start) return text.length > 200 ? `${text.slice(0, 200)}…` : text;
  const userInfo = text.slice(start, at);
  const colon = userInfo.indexOf(':');
  const redacted = colon < 0 ? userInfo : `${userInfo.slice(0, colon)}:***`;
  return `${text.slice(0, start)}${redacted}${text.slice(at)}`.slice(0, 200);
}
