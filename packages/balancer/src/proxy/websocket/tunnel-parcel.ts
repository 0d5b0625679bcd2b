import type { RouteKind } from '../../core/session-record.js';
import { FrameBoundaryTracker, type TrackerPosition } from '../../protocol/frame-tracker.js';

/**
 * What a retiring worker sends along with a tunnel's two sockets so that its successor goes on
 * where it stopped: the session's identity (the connection table and close requests know it by
 * id), its counters and, with frame tracking, where each direction stands in its current frame.
 */
export interface TunnelParcel {
  readonly id: string;
  readonly clientAddress: string;
  readonly startedAt: number;
  /** The handshake's path (logs). */
  readonly path: string;
  readonly backend: string;
  readonly route: RouteKind;
  /** Bytes relayed since the 101, each way. */
  readonly bytesFromClient: number;
  readonly bytesToClient: number;
  /** Traffic the old worker already put in its metrics: the successor counts from there. */
  readonly sampled: {
    readonly read: number;
    readonly written: number;
    readonly fromClient: number;
    readonly toClient: number;
  };
  /** The trackers' positions; absent when the node runs without frame tracking. */
  readonly trackers?: { readonly fromClient: TrackerPosition; readonly fromBackend: TrackerPosition };
}

const routes = new Set<string>([
  'balance',
  'cookie',
  'cookie-repinned',
  'hash',
  'hash-overflow',
  'fallback',
  'failover',
]);

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/**
 * Checks a parcel that came over IPC. It comes from a worker of the same node, yet a successor
 * running new code may get one from an older version: a parcel it cannot read is refused (the
 * tunnel then stays with the old worker), never half-adopted. Throws a TypeError saying what is wrong.
 */
export function parseTunnelParcel(value: unknown): TunnelParcel {
  const parcel = value as Partial<TunnelParcel> | null;
  const fail = (what: string): never => {
    throw new TypeError(`tunnel parcel: ${what}`);
  };
  if (typeof parcel !== 'object' || parcel === null) return fail('not an object');
  for (const field of ['id', 'clientAddress', 'path', 'backend'] as const)
    if (typeof parcel[field] !== 'string' || parcel[field] === '') fail(`${field} must be a non-empty string`);
  if (typeof parcel.route !== 'string' || !routes.has(parcel.route)) fail(`unknown route ${String(parcel.route)}`);
  if (!isCount(parcel.startedAt)) fail('startedAt must be a timestamp');
  if (!isCount(parcel.bytesFromClient) || !isCount(parcel.bytesToClient)) fail('byte counts must be counts');
  const sampled = parcel.sampled;
  if (!sampled || ![sampled.read, sampled.written, sampled.fromClient, sampled.toClient].every(isCount))
    fail('sampled traffic must be counts');
  const trackers = parcel.trackers;
  if (trackers !== undefined && (typeof trackers?.fromClient !== 'object' || typeof trackers?.fromBackend !== 'object'))
    fail('trackers must hold both directions');
  try {
    if (trackers)
      [trackers.fromClient, trackers.fromBackend].forEach((position) => FrameBoundaryTracker.resume(position));
  } catch (err) {
    fail((err as Error).message);
  }
  return parcel as TunnelParcel;
}
