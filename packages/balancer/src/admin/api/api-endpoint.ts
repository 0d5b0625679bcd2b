import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminContext } from '../admin-context.js';
import type { ApiHints } from './api-failure.js';

/** One request to the API, with the backend id of its path (`backends/ID/…`) decoded. */
export interface ApiRequest {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  readonly ctx: AdminContext;
  /** Undefined on paths without one. Unchecked: the operations check it as the registry does. */
  readonly id: string | undefined;
}

/** A read (open to anyone who reaches the admin listener): answers the request itself. */
export type ApiReader = (request: ApiRequest) => Promise<void>;

/** What a mutation answers when it succeeds. */
export interface ApiAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A mutation. The API authorizes it, reads and checks its body and logs it; `run` only does the
 * work, through the operator's operations, and throws their errors.
 */
export interface ApiMutation {
  /** What the log line calls it. */
  readonly action: 'add' | 'drain' | 'undrain' | 'remove';
  /** Whether a JSON body is read: `none` ignores any (DELETE). */
  readonly body: 'required' | 'optional' | 'none';
  /** The keys the body may carry; any other is refused. */
  readonly keys: readonly string[];
  /** The endpoint's advice appended to an operation's message. */
  readonly hints?: ApiHints;
  run(request: ApiRequest, body: Readonly<Record<string, unknown>>): Promise<ApiAnswer>;
}

/** The methods of one path. */
export interface ApiEndpoint {
  readonly GET?: ApiReader;
  readonly POST?: ApiMutation;
  readonly DELETE?: ApiMutation;
}
