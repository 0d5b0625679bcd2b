import type { Logger } from 'pino';
import type { Backend } from '../core/backend.js';
import type { RegistrySnapshot } from '../state/state-store.js';

/**
 * Merges the static `--backend` list with the shared registry (the registry wins on the same
 * id: it is what operators change at run time) and reports each malformed registry entry once,
 * not on every poll. Returns the membership only when it differs from the last one.
 */
export class RegistryMerge {
  #static: readonly Backend[];
  readonly #log: Logger;
  readonly #reported = new Set<string>();
  #lastSignature = '';

  constructor(staticBackends: readonly Backend[], log: Logger) {
    this.#static = staticBackends;
    this.#log = log;
  }

  /** New static backends (config reload); the next `apply` reports the membership again. */
  setStatic(backends: readonly Backend[]): void {
    this.#static = backends;
    this.#lastSignature = '';
  }

  apply(snapshot: RegistrySnapshot): Backend[] | undefined {
    for (const entry of snapshot.malformed) {
      const key = `${entry.id}\u0000${entry.raw}`;
      if (!this.#reported.has(key)) {
        const { id: backend, raw: value, reason } = entry;
        this.#log.warn({ backend, value, reason }, 'ignoring malformed registry entry');
      }
      this.#reported.add(key);
    }
    const byId = new Map(this.#static.map((backend) => [backend.id, backend]));
    // A leased entry routes like any other: its lease stays in the control plane, not the workers.
    for (const { id, url, weight, state } of snapshot.backends) byId.set(id, { id, url, weight, state });
    const merged = [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const signature = JSON.stringify(merged);
    if (signature === this.#lastSignature) return undefined;
    this.#lastSignature = signature;
    return merged;
  }
}
