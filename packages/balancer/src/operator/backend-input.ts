import { backendSchema } from '../config/schema.js';
import type { Backend } from '../core/backend.js';
import { validateBackend } from '../state/registry-entry.js';
import { StateError } from '../state/state-error.js';
import { invalidArgument } from './operator-error.js';

/** A backend to register as an operator gives it: unchecked (from a command line, or JSON from the API). */
export interface BackendInput {
  readonly id: unknown;
  readonly url: unknown;
  /** Absent: 1. */
  readonly weight?: unknown;
}

/** A backend as the registry will hold it, before its state is decided (registered ones keep theirs). */
export type CheckedBackend = Backend & { readonly state: 'active' };

/**
 * Checks a backend exactly as the registry does (every node would refuse anything else as
 * malformed) and normalizes its URL to the origin. Throws MOORING_ERR_OPERATOR_INVALID_ARGUMENT
 * with the registry's message, e.g. `backend "x": url: expected an http:// origin …`.
 */
export function checkBackend(input: BackendInput): CheckedBackend {
  // The registry's validator checks the types too: the casts only carry unknown input to it.
  const candidate = { id: input.id, url: input.url, weight: input.weight, state: 'active' } as Backend;
  try {
    return { ...validateBackend(candidate), state: 'active' };
  } catch (err) {
    if (err instanceof StateError && err.code === 'MOORING_ERR_STATE_INVALID_BACKEND') {
      throw invalidArgument(err.message);
    }
    throw err;
  }
}

/** Checks a backend id as the registry does (a name no entry could have is a bad argument, not unknown). */
export function checkBackendId(id: unknown): string {
  const result = backendSchema.shape.id.safeParse(id);
  if (result.success) return result.data;
  const reason = result.error.issues[0]?.message ?? 'invalid';
  throw invalidArgument(`backend id ${JSON.stringify(id) ?? String(id)}: ${reason}`);
}
