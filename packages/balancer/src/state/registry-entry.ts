import type { z } from 'zod';
import { backendSchema } from '../config/schema.js';
import { parseLease } from './backend-lease.js';
import { StateError } from './state-error.js';
import type { MalformedEntry, RegisteredBackend } from './state-store.js';

/**
 * Parses one field of the registry hash (`<prefix>:backends`). The value is either a bare URL
 * (`http://host:port`: weight 1, active) or a JSON object `{"url", "weight"?, "state"?, "lease"?}`
 * (`lease`: `{"holder", "ttlMs"}`, written by `mooring backend announce`); the id is the field
 * name. Anything else, including unknown JSON keys, becomes a MalformedEntry whose reason names
 * the problem, so one bad entry never hides the others. Pure: no I/O.
 */
export function parseRegistryEntry(id: string, raw: string): RegisteredBackend | MalformedEntry {
  const text = raw.trim();
  if (!text.startsWith('{')) return validate(id, raw, { id, url: text });
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { id, raw, reason: `invalid JSON: ${(err as Error).message}` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { id, raw, reason: 'expected a URL or a JSON object' };
  }
  // The id is the hash field; a second one in the value could only disagree with it.
  if (Object.hasOwn(value, 'id')) return { id, raw, reason: 'unknown key "id" (the id is the hash field)' };
  const { lease, ...fields } = value as Record<string, unknown>;
  const backend = validate(id, raw, { ...fields, id });
  if (lease === undefined || isMalformed(backend)) return backend;
  const parsed = parseLease(lease);
  return typeof parsed === 'string' ? { id, raw, reason: parsed } : { ...backend, lease: parsed };
}

/** Tells a parsed entry from a malformed one. */
export function isMalformed(entry: RegisteredBackend | MalformedEntry): entry is MalformedEntry {
  return 'reason' in entry;
}

/**
 * The registry value written for `backend`: always the JSON form, so the weight and state are
 * explicit to anyone reading the hash. Throws MOORING_ERR_STATE_INVALID_BACKEND for a backend
 * that {@link parseRegistryEntry} would refuse, so nothing malformed is ever written by Mooring.
 */
export function formatRegistryEntry(backend: RegisteredBackend): string {
  const valid = validateBackend(backend);
  const entry = { url: valid.url, weight: valid.weight, state: valid.state };
  return JSON.stringify(backend.lease ? { ...entry, lease: checkedLease(backend) } : entry);
}

function checkedLease(backend: RegisteredBackend): RegisteredBackend['lease'] {
  const parsed = parseLease(backend.lease);
  if (typeof parsed !== 'string') return parsed;
  throw new StateError('MOORING_ERR_STATE_INVALID_BACKEND', `backend ${JSON.stringify(backend.id)}: ${parsed}`);
}

/** Validates and normalizes (URL origin) a backend; throws MOORING_ERR_STATE_INVALID_BACKEND. */
export function validateBackend(backend: RegisteredBackend): RegisteredBackend {
  const result = backendSchema.safeParse({
    id: backend.id,
    url: backend.url,
    weight: backend.weight,
    state: backend.state,
  });
  if (result.success) return result.data;
  throw new StateError(
    'MOORING_ERR_STATE_INVALID_BACKEND',
    `backend ${JSON.stringify(backend.id)}: ${describeIssues(result.error)}`,
  );
}

function validate(id: string, raw: string, input: object): RegisteredBackend | MalformedEntry {
  const result = backendSchema.safeParse(input);
  return result.success ? result.data : { id, raw, reason: describeIssues(result.error) };
}

/** One line naming each offending field, e.g. `weight: Too small: expected number to be >=1`. */
function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
