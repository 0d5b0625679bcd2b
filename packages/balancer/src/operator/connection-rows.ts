import type { ConnectionRecord } from '../core/session-record.js';
import type { StateStore } from '../state/state-store.js';
import { checkBackendId } from './backend-input.js';
import { invalidArgument } from './operator-error.js';

/** One live session as `connections --json` and `GET /api/v1/connections` show it. */
export type ConnectionRow = ConnectionRecord & { readonly ageMs: number };

/** Which sessions to list. */
export interface ConnectionQuery {
  /** Only the sessions on this backend. */
  readonly backend?: string;
  /** At most this many, the oldest first; absent: all. */
  readonly limit?: number;
}

/** The bounds of `GET /api/v1/connections?limit=N`: one answer stays a few megabytes at most. */
export const connectionLimits = { default: 100, max: 10_000 } as const;

/** The live sessions of the cluster, oldest first, with their age at `at`; `total` counts them before the limit. */
export async function readConnectionRows(
  store: StateStore,
  query: ConnectionQuery,
  at: number,
): Promise<{ connections: ConnectionRow[]; total: number }> {
  const filter = query.backend === undefined ? undefined : { backend: checkBackendId(query.backend) };
  const records = (await store.listConnections(filter)).sort((a, b) => a.startedAt - b.startedAt);
  const kept = query.limit === undefined ? records : records.slice(0, query.limit);
  return { connections: kept.map((record) => ({ ...record, ageMs: at - record.startedAt })), total: records.length };
}

/** Checks a limit given as text (a query parameter) or a number: a whole number from 1 to 10000. */
export function checkConnectionLimit(value: unknown, name = 'limit'): number {
  const number = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof number === 'number' && Number.isInteger(number) && number >= 1 && number <= connectionLimits.max) {
    return number;
  }
  const given = JSON.stringify(value) ?? String(value);
  throw invalidArgument(`${name}: expected a whole number from 1 to ${connectionLimits.max}, got ${given}`);
}
