import { z } from 'zod';
import type { ConnectionRecord } from '../core/session-record.js';
import type { DrainRecord, HealthRecord, NodeInfo, RebalanceRecord, StateEvent, StateMarker } from './state-store.js';

/*
 * Decoders for what other processes wrote into the shared state. Anything can write to Redis,
 * so every value is checked; a value that does not decode is skipped by the caller (one bad
 * record never hides the others). Pure: no I/O.
 */

const connectionRecordSchema = z.object({
  id: z.string().min(1),
  node: z.string().min(1),
  worker: z.number().int(),
  backend: z.string().min(1),
  client: z.string(),
  route: z.enum(['balance', 'cookie', 'cookie-repinned', 'hash', 'hash-overflow', 'fallback', 'failover']),
  startedAt: z.number(),
});

const nodeInfoSchema = z.object({
  id: z.string().min(1),
  startedAt: z.number(),
  heartbeatAt: z.number().optional(),
  pid: z.number().int(),
  listen: z.string(),
  admin: z.string(),
  degraded: z.boolean().optional(),
  routable: z.array(z.string()).optional(),
  placement: z.enum(['hash', 'load']).optional(),
});

const drainRecordSchema = z.object({
  startedAt: z.number(),
  deadlineAt: z.number(),
  closeRate: z.number().positive(),
  closeCode: z.number().int().min(1000).max(4999),
});

const healthRecordSchema = z.object({
  healthy: z.boolean(),
  since: z.number(),
  checkedBy: z.string(),
  streak: z.number().int().min(0),
});

/** Lenient on purpose: only the id decides (the re-seed script reads it the same way, see redis-scripts). */
const stateMarkerSchema = z.object({
  id: z.string().min(1),
  by: z.string().catch('unknown'),
  at: z.number().catch(0),
  reseeded: z.boolean().catch(false),
  covers: z.array(z.string()).catch([]),
});

const stateEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('registry-changed') }),
  z.object({ type: z.literal('health-changed') }),
  z.object({ type: z.literal('passive-failure'), backend: z.string(), node: z.string() }),
  z.object({
    type: z.literal('rebalance'),
    holdMs: z.number().min(0),
    code: z.number().int().min(1000).max(4999),
    closes: z.array(z.object({ node: z.string(), ids: z.array(z.string()) })),
  }),
]);

const rebalanceRecordSchema = z.object({
  state: z.enum(['running', 'balanced', 'stopped']),
  by: z.string().optional(),
  startedAt: z.number(),
  updatedAt: z.number(),
  endsAt: z.number().optional(),
  tolerance: z.number(),
  rate: z.number(),
  minAgeMs: z.number(),
  closed: z.number(),
  remaining: z.number(),
  backends: z.array(
    z.object({
      id: z.string(),
      live: z.number(),
      share: z.number(),
      low: z.number(),
      high: z.number(),
      move: z.number(),
    }),
  ),
});

function decodeWith<T>(schema: z.ZodType<T>, text: string): T | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

/** A ConnectionRecord from its JSON, or undefined. */
export const decodeConnectionRecord = (text: string): ConnectionRecord | undefined =>
  decodeWith(connectionRecordSchema, text);
/** A NodeInfo from its JSON, or undefined. */
export const decodeNodeInfo = (text: string): NodeInfo | undefined => decodeWith(nodeInfoSchema, text);
/** A HealthRecord from its JSON, or undefined. */
export const decodeHealthRecord = (text: string): HealthRecord | undefined => decodeWith(healthRecordSchema, text);
/** A StateEvent from a pub/sub message, or undefined. */
export const decodeStateEvent = (text: string): StateEvent | undefined => decodeWith(stateEventSchema, text);

/** A RebalanceRecord from its JSON, or undefined. */
export const decodeRebalanceRecord = (text: string): RebalanceRecord | undefined =>
  decodeWith(rebalanceRecordSchema, text);

/** The order every listing returns connections in (node, then session id), so both stores agree. */
export function compareConnections(a: ConnectionRecord, b: ConnectionRecord): number {
  return a.node === b.node ? compareText(a.id, b.id) : compareText(a.node, b.node);
}

/** Code-unit order, independent of the locale. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Live sessions per backend of a list of connections (used to rebuild counts). */
export function countByBackend(records: Iterable<ConnectionRecord>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.backend, (counts.get(record.backend) ?? 0) + 1);
  return counts;
}
/** A DrainRecord from its JSON, or undefined. */
export const decodeDrainRecord = (text: string): DrainRecord | undefined => decodeWith(drainRecordSchema, text);

/**
 * A StateMarker from its JSON. Anything else in the key (written by hand) is still a marker, whose
 * id is the text itself: a store that has one has not lost its data, whatever it reads.
 */
export function decodeStateMarker(text: string): StateMarker {
  return decodeWith(stateMarkerSchema, text) ?? { id: text, by: 'unknown', at: 0, reseeded: false, covers: [] };
}
