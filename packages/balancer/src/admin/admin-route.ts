import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AdminContext } from './admin-context.js';

/**
 * One piece of the admin listener: answers the requests it knows (resolving true) and leaves
 * the rest (false). Routes are tried in order; none may throw (errors are answered as JSON).
 */
export type AdminRoute = (
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  ctx: AdminContext,
) => boolean | Promise<boolean>;
