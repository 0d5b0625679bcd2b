import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { StateMarker, StateSeed, StateStore } from '../state/state-store.js';

/** The lease that makes one node at a time re-seed a store that lost its data. */
export const reseedLeaseName = 'reseed';

/**
 * How long the re-seeding node holds its lease: a re-seed is one script, so this only bounds how
 * long a node that died half-way keeps the others from trying (it lives with the other fixed
 * timings' reasons: long beside one round trip, short beside an outage).
 */
export const reseedLeaseMs = 10_000;

/** How many earlier marker ids a re-seed's marker carries (see StateMarker.covers): enough for any run of losses. */
const maxCovered = 16;

/**
 * What a marker read means to a node that knows `known` (undefined: it has applied nothing yet):
 * - `unmarked`: no marker and none known: a fresh store (or one lost before this node knew it).
 * - `known`: the marker this node knows: the store holds the state it applied.
 * - `adopted`: a marker to take as its own: the first it sees, or a re-seed of a state it knew.
 * - `lost`: no marker, or one that does not descend from the known one: the store lost its data.
 * Pure: no I/O.
 */
export type MarkerVerdict = 'unmarked' | 'known' | 'adopted' | 'lost';

export function judgeMarker(known: StateMarker | undefined, read: StateMarker | undefined): MarkerVerdict {
  if (read === undefined) return known === undefined ? 'unmarked' : 'lost';
  if (known === undefined) return 'adopted';
  if (read.id === known.id) return 'known';
  return read.covers.includes(known.id) ? 'adopted' : 'lost';
}

/** Options of {@link StateRecovery}. */
export interface StateRecoveryOptions {
  readonly store: StateStore;
  readonly log: Logger;
  readonly nodeId: string;
  /** What this node last applied: the registry (not its static backends), drains and health. */
  readonly seed: () => StateSeed;
  readonly now?: () => number;
  /** Marker ids; random by default. */
  readonly newId?: () => string;
}

/**
 * Recovery from a store that lost its data (DESIGN "Redis": a restart without persistence, a
 * failover to an empty replica). The first node on a fresh store writes a marker; every read of the
 * registry carries the marker (one atomic read) and passes through `admit` before it is applied.
 * A read whose marker is gone, or replaced by one that does not descend from the known one, is not
 * applied (the node keeps routing from what it knows) and the node re-seeds the store from what it
 * last applied: under the `reseed` lease, so one node at a time, and with a compare and set on
 * the marker it read, so once for the whole fleet. The new marker covers the old ones: the other
 * nodes find it at their next read and adopt it without writing anything. Operator deletions
 * (HDEL, `backend remove`) leave the marker in place and are never undone.
 */
export class StateRecovery {
  readonly #options: StateRecoveryOptions;
  readonly #now: () => number;
  readonly #newId: () => string;
  #known: StateMarker | undefined;
  #reseeds = 0;

  constructor(options: StateRecoveryOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => Date.now());
    this.#newId = options.newId ?? randomUUID;
  }

  /** The marker this node knows (undefined until its first read). */
  get known(): StateMarker | undefined {
    return this.#known;
  }

  /** Times this node re-seeded the store (`mooring_state_reseeds_total`). */
  get reseeds(): number {
    return this.#reseeds;
  }

  /**
   * Resolves true when a read carrying `read` may be applied; false when the store lost its data:
   * the read is not applied, and the store has been re-seeded by this node (whose announcement
   * makes every node, this one included, read again) or is being re-seeded by another.
   * Store failures reject, for the caller's guard.
   */
  async admit(read: StateMarker | undefined): Promise<boolean> {
    const verdict = judgeMarker(this.#known, read);
    if (verdict === 'lost') {
      await this.#reseed(read);
      return false;
    }
    if (verdict === 'unmarked') this.#known = await this.#options.store.claimMarker(this.#marker(false, []));
    else if (verdict === 'adopted') this.#adopt(read!);
    return true;
  }

  #adopt(read: StateMarker): void {
    const known = this.#known;
    this.#known = read;
    if (known === undefined || !read.reseeded) return;
    this.#options.log.info({ reseededBy: read.by }, `shared state was re-seeded by node ${read.by}`);
  }

  async #reseed(read: StateMarker | undefined): Promise<void> {
    const { store, nodeId, log } = this.#options;
    // Another node holds it: that node is re-seeding, and its marker will be adopted at a next read.
    if (!(await store.acquireLease(reseedLeaseName, nodeId, reseedLeaseMs))) return;
    try {
      const marker = this.#marker(true, this.#covered(read));
      const seed = this.#options.seed();
      if (!(await store.reseed(seed, marker, read?.id))) return;
      this.#known = marker;
      this.#reseeds += 1;
      const restored = { backends: seed.backends.length, drains: seed.drains.size, health: seed.health.size };
      log.warn({ reseededBy: nodeId, restored }, `shared state lost; re-seeded from node ${nodeId}`);
    } finally {
      await store.releaseLease(reseedLeaseName, nodeId).catch(() => {});
    }
  }

  /** The ids a re-seed replaces: the known marker's line and the one read, so whoever knew either adopts it. */
  #covered(read: StateMarker | undefined): string[] {
    const known = this.#known!;
    const ids = [known.id, ...known.covers, ...(read ? [read.id, ...read.covers] : [])];
    return [...new Set(ids)].slice(0, maxCovered);
  }

  #marker(reseeded: boolean, covers: string[]): StateMarker {
    return { id: this.#newId(), by: this.#options.nodeId, at: this.#now(), reseeded, covers };
  }
}
