import type { StateStore } from '../state/state-store.js';
import { checkBackendId } from './backend-input.js';
import { OperatorError, unknownBackend } from './operator-error.js';

/** Live sessions on a backend, cluster-wide. */
export async function liveConnectionsOn(store: StateStore, id: string): Promise<number> {
  return (await store.liveCounts()).total.get(id) ?? 0;
}

/**
 * Removes a backend from the registry. Refused (MOORING_ERR_BACKEND_HAS_CONNECTIONS) while it
 * has live connections, unless `force`: then they stay open until they end on their own.
 * Resolves with how many were left so.
 */
export async function removeBackend(
  store: StateStore,
  id: string,
  { force }: { readonly force: boolean },
): Promise<{ live: number }> {
  checkBackendId(id);
  const live = await liveConnectionsOn(store, id);
  if (live > 0 && !force) {
    throw new OperatorError('MOORING_ERR_BACKEND_HAS_CONNECTIONS', `backend ${id} has ${live} live connection(s)`);
  }
  if (!(await store.removeBackend(id))) throw unknownBackend(id);
  return { live };
}
