/**
 * The one registry of every failure Mooring reports, in the manner of fastify's `lib/errors.js`:
 * a stable `MOORING_ERR_<AREA>_<WHAT>` code, where it surfaces and with which number, and a
 * default message. Callers branch on the code, never on a message. README "Error codes" lists
 * the same codes; a test fails when the two disagree.
 */

/** An HTTP response or a refused upgrade (a raw `HTTP/1.1 <status>`), with a JSON `{ code }` body. */
export interface HttpErrorEntry {
  readonly kind: 'http';
  readonly status: number;
  readonly message: string;
}

/** A WebSocket closed by Mooring with this close code. */
export interface CloseErrorEntry {
  readonly kind: 'close';
  readonly closeCode: number;
  readonly message: string;
}

/** A `mooring` command (or `mooring start`) that ends with this exit code. */
export interface ExitErrorEntry {
  readonly kind: 'exit';
  readonly exitCode: number;
  readonly message: string;
}

/** Never answered to anyone: a programming error, logged where it is caught. */
export interface InternalErrorEntry {
  readonly kind: 'internal';
  readonly message: string;
}

export type ErrorEntry = HttpErrorEntry | CloseErrorEntry | ExitErrorEntry | InternalErrorEntry;

// Small builders keep one line per code while keeping each number's literal type.
const http = <S extends number>(status: S, message: string) => ({ kind: 'http', status, message }) as const;
const exit = <E extends number>(exitCode: E, message: string) => ({ kind: 'exit', exitCode, message }) as const;
const internal = (message: string) => ({ kind: 'internal', message }) as const;

/** Every `MOORING_ERR_*` code. The order is the README's. */
export const errorCodes = {
  /** No backend is configured, or none is eligible (all down, draining or refused by the sticky rules). */
  MOORING_ERR_NO_BACKEND: http(503, 'no backend is available for this request'),
  /** Every candidate refused or dropped the connection. */
  MOORING_ERR_BACKEND_UNREACHABLE: http(502, 'no backend accepted the connection'),
  MOORING_ERR_BACKEND_FAILED: http(502, 'the backend failed while answering'),
  /** `--handshake-timeout` or `--request-timeout` ran out. */
  MOORING_ERR_BACKEND_TIMEOUT: http(504, 'the backend did not answer in time'),
  /** No `https://` backend passed its TLS handshake: certificate not verified (`--backend-ca`), or no TLS spoken. */
  MOORING_ERR_BACKEND_TLS: http(502, "the backend's TLS certificate could not be verified"),
  MOORING_ERR_REQUEST_ABSOLUTE_FORM: http(400, 'absolute-form request targets are refused (not a forward proxy)'),
  MOORING_ERR_REQUEST_CONNECT: http(405, 'CONNECT is refused (not a forward proxy)'),
  MOORING_ERR_REQUEST_MALFORMED: http(400, 'the request could not be parsed'),
  MOORING_ERR_REQUEST_HEADERS_TOO_LARGE: http(431, 'the request headers are too large'),
  MOORING_ERR_REQUEST_HEAD_TIMEOUT: http(408, 'the request head was not received in time'),
  MOORING_ERR_UPGRADE_UNSUPPORTED: http(400, 'only WebSocket upgrades are proxied'),
  MOORING_ERR_UPGRADE_METHOD: http(400, 'a WebSocket handshake must be a GET request'),
  MOORING_ERR_UPGRADE_VERSION: http(426, 'only WebSocket version 13 is supported'),
  MOORING_ERR_UPGRADE_KEY: http(400, 'Sec-WebSocket-Key must be 16 bytes in base64'),
  MOORING_ERR_UPGRADE_ORIGIN: http(403, 'the Origin is not allowed'),
  MOORING_ERR_CLIENT_CONNECTION_LIMIT: http(429, 'too many WebSocket connections from this client'),
  MOORING_ERR_CLIENT_HANDSHAKE_RATE: http(429, 'too many WebSocket handshakes from this client'),
  /** The admin listener has no such path. */
  MOORING_ERR_ADMIN_NOT_FOUND: http(404, 'no such admin endpoint'),
  /** An admin request failed inside Mooring (a bug, or a store failure no route expected); logged. */
  MOORING_ERR_ADMIN_INTERNAL: http(500, 'the admin request failed'),
  /** The dashboard's event streams (`/api/v1/events`) are all taken; a browser retries later. */
  MOORING_ERR_ADMIN_TOO_MANY_STREAMS: http(503, 'too many dashboard event streams are open'),
  /** A known admin API path asked with a method it does not take; the answer's `Allow` lists those it does. */
  MOORING_ERR_ADMIN_METHOD_NOT_ALLOWED: http(405, 'this admin endpoint does not take that method'),
  /** An admin API mutation while no admin token is configured (`--admin-token-file`, `MOORING_ADMIN_TOKEN`). */
  MOORING_ERR_ADMIN_MUTATIONS_DISABLED: http(403, 'admin mutations are disabled: no admin token is configured'),
  /** A mutation without `Authorization: Bearer <token>`, or with another token; answered with `WWW-Authenticate`. */
  MOORING_ERR_ADMIN_UNAUTHORIZED: http(401, 'a valid admin token is required (Authorization: Bearer <token>)'),
  /** An admin API request body that is not `application/json`. */
  MOORING_ERR_ADMIN_CONTENT_TYPE: http(415, 'the request body must be application/json'),
  /** An admin API request body over 64 KiB. */
  MOORING_ERR_ADMIN_BODY_TOO_LARGE: http(413, 'the request body is larger than 64 KiB'),
  /** An admin API request body that is not a JSON object. */
  MOORING_ERR_ADMIN_BODY_INVALID: http(400, 'the request body is not a JSON object'),
  /** An admin API request body that did not arrive in time (10 s). */
  MOORING_ERR_ADMIN_BODY_TIMEOUT: http(408, 'the request body was not received in time'),
  /** The admin API needed the shared state and it did not answer (`GET status` answers stale instead). */
  MOORING_ERR_ADMIN_STATE_UNAVAILABLE: http(503, 'the shared state store did not answer'),
  /** An operation's argument is not valid: a backend id, URL or weight, drain terms, a limit; the CLI exits 2. */
  MOORING_ERR_OPERATOR_INVALID_ARGUMENT: http(400, 'an argument of the operation is not valid'),
  /** An operation named a backend that is not registered; the CLI exits 1. */
  MOORING_ERR_BACKEND_UNKNOWN: http(404, 'no backend is registered with this id'),
  /** A backend with live connections cannot be removed without force; the CLI exits 1. */
  MOORING_ERR_BACKEND_HAS_CONNECTIONS: http(409, 'the backend still has live connections'),
  /** `backend add` (or the API's) of an id an announcer holds with a live lease (`backend announce`); CLI exit 1. */
  MOORING_ERR_BACKEND_LEASED: http(409, 'the backend id is held by the live lease of an announcer'),
  /** `mooring start` exits 2 with the message naming the field; on SIGHUP it is logged and the running config kept. */
  MOORING_ERR_CONFIG_INVALID: exit(2, 'the configuration is invalid'),
  /** The store could not be reached at start (`RedisStateStore.connect`); a node starts degraded instead. */
  MOORING_ERR_STATE_CONNECT: exit(1, 'the shared state store could not be reached'),
  /**
   * A `--redis` URL of no known form (`redis://`, `rediss://`, `redis+sentinel://…/MASTER`,
   * `redis+cluster://`): an operator command exits 2 naming `--redis` before contacting anything
   * (`mooring start` reports it as MOORING_ERR_CONFIG_INVALID, naming `redis`).
   */
  MOORING_ERR_STATE_URL_INVALID: exit(2, 'the Redis URL is not valid'),
  /**
   * A command failed or timed out (Redis down, slow, or restarting). A node logs it and routes from
   * its last known state (degraded); an operator command exits 1.
   */
  MOORING_ERR_STATE_UNAVAILABLE: exit(1, 'the shared state store did not answer'),
  /** `putBackend` was given a backend that other nodes would reject as malformed. */
  MOORING_ERR_STATE_INVALID_BACKEND: exit(2, 'the backend is not valid for the registry'),
  /** The store was used after `close()`: a bug, whoever catches it. */
  MOORING_ERR_STATE_CLOSED: internal('the shared state store is closed'),
  /** An operator command could not do what was asked (unknown backend, live connections left). */
  MOORING_ERR_CLI_FAILED: exit(1, 'the command failed'),
  /** A command line that cannot be used: an unknown flag, a bad argument. */
  MOORING_ERR_CLI_USAGE: exit(2, 'the command line cannot be used'),
  /** `backend drain --wait` reached its deadline and closed connections by force. */
  MOORING_ERR_CLI_DRAIN_FORCED: exit(3, 'the drain reached its deadline with connections left'),
  /**
   * `backend announce` for an id an operator registered, or that another announcer holds with a
   * live lease: nothing was changed.
   */
  MOORING_ERR_CLI_ANNOUNCE_REFUSED: exit(4, 'the backend id is not free for a lease'),
} as const satisfies Record<`MOORING_ERR_${string}`, ErrorEntry>;

type Registry = typeof errorCodes;

/** Any code of the registry. */
export type MooringErrorCode = keyof Registry;

/** The codes of one kind, e.g. `CodeOfKind<'exit'>`. */
export type CodeOfKind<K extends ErrorEntry['kind']> = {
  [C in MooringErrorCode]: Registry[C]['kind'] extends K ? C : never;
}[MooringErrorCode];

/** A code an HTTP response or a refused upgrade can carry. */
export type HttpErrorCode = CodeOfKind<'http'>;

/**
 * What the data plane refuses requests and upgrades with: the HTTP codes. The proxy's modules
 * name it so since before the registry held other kinds; new code says {@link HttpErrorCode}.
 */
export type ErrorCode = HttpErrorCode;

/**
 * The base class of Mooring's errors (undici's `lib/core/errors.js` model): `code` is a registry
 * code and the message defaults to the registry's, so a subclass only narrows which codes it takes.
 */
export class MooringError<C extends MooringErrorCode = MooringErrorCode> extends Error {
  readonly code: C;

  constructor(code: C, message: string = errorCodes[code].message, options?: ErrorOptions) {
    super(message, options);
    this.name = 'MooringError';
    this.code = code;
  }
}
