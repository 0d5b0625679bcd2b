import type { RegisteredBackend, StateStore } from '../state/state-store.js';
import { checkBackend, type BackendInput } from './backend-input.js';
import { leasedBackend } from './operator-error.js';

/** What {@link addBackend} wrote. */
export interface AddedBackend {
  /** The backend as registered now. */
  readonly backend: RegisteredBackend;
  /** False when a backend of that id was registered already (its URL and weight were replaced). */
  readonly created: boolean;
}

/**
 * Registers a backend, or changes the URL and weight of one already registered; every node
 * applies it within 200 ms. The input is checked as the registry checks it. Refused
 * (MOORING_ERR_BACKEND_LEASED) for an id an announcer holds with a live lease; over a lapsed
 * lease the operator's entry replaces the leased one.
 */
export async function addBackend(store: StateStore, input: BackendInput): Promise<AddedBackend> {
  const backend = checkBackend(input);
  const existing = (await store.readRegistry()).backends.find((entry) => entry.id === backend.id);
  // Changing a draining backend's URL must not silently undrain it.
  const registered: RegisteredBackend = { ...backend, state: existing?.state ?? 'active' };
  // An announcer's entry is its own while its lease lives (README "Leased self-registration").
  if (!(await store.putBackend(registered))) throw leasedBackend(backend.id);
  return { backend: registered, created: existing === undefined };
}
