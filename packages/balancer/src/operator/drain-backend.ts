import type { DrainRecord, StateStore } from '../state/state-store.js';
import { checkBackendId } from './backend-input.js';
import { checkDrainTerms, type DrainTerms } from './drain-terms.js';
import { unknownBackend } from './operator-error.js';

/**
 * Marks a backend draining on every node (no new sessions, cookies naming it re-pinned) and
 * records when and how its remaining sessions are closed, in one store operation: a crash can
 * never leave the state without its terms or a change unannounced. Draining twice keeps the
 * first start but takes the new terms. Resolves with the drain as recorded.
 */
export async function drainBackend(
  store: StateStore,
  id: string,
  terms: DrainTerms,
  now: () => number,
): Promise<DrainRecord> {
  checkBackendId(id);
  const { deadlineMs, closeRate, closeCode } = checkDrainTerms({
    deadline: terms.deadlineMs,
    closeRate: terms.closeRate,
    closeCode: terms.closeCode,
  });
  const startedAt = now();
  const drain = await store.drainBackend(id, { startedAt, deadlineAt: startedAt + deadlineMs, closeRate, closeCode });
  if (!drain) throw unknownBackend(id);
  return drain;
}

/** Makes a backend active again on every node: terms removed, state active and the announcement in one step. */
export async function undrainBackend(store: StateStore, id: string): Promise<void> {
  checkBackendId(id);
  if (!(await store.undrainBackend(id))) throw unknownBackend(id);
}
