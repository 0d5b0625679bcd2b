/**
 * Types of the `consistent-hash` package (1.2.2, Apache-2.0, no dependencies), which ships none.
 * Only what `hash-ring.ts` calls is declared; see its source for the rest.
 */
declare module 'consistent-hash' {
  interface ConsistentHashOptions {
    /** Positions are `(hash << 5) % range`, and control points must lie in `[0, range)`. */
    readonly range?: number;
    /** Control points per node when `add` is given none (default 40). */
    readonly weight?: number;
  }

  class ConsistentHash<Node> {
    constructor(options?: ConsistentHashOptions);
    /** Number of control points on the ring. */
    readonly keyCount: number;
    /** Adds a node; with `points`, exactly those control points. */
    add(node: Node, count?: number, points?: readonly number[]): this;
    /** The node owning the first control point at or after the name's position, wrapping; null when empty. */
    get(name: string): Node | null;
  }

  export = ConsistentHash;
}
