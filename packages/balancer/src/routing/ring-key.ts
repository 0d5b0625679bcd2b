/**
 * How a request key reaches the `consistent-hash` package's lookup (DESIGN.md "Dependencies":
 * a key that is already well hashed, written as a fixed-width string, and a range that keeps
 * the package's arithmetic exact).
 *
 * The package hashes the string it is given with a 24-bit PJW variant, `h = (h << 4) + code`,
 * folding the bits above 24 back into the low byte, then takes `(h << 5) % range` as the key's
 * position. PJW mixes poorly: MurmurHash3 written as 8 hex digits comes out of it far from
 * uniform (χ² ≈ 9,000,000 over 1,024 buckets, where a uniform hash gives about 1,000), because
 * the digits' character codes overlap under the 4-bit shift. Six characters of codes 0–15, one
 * 4-bit digit of the hash each, never carry past bit 24, so nothing is folded and PJW returns the
 * 24 bits they spell: the position is exactly `(hash >>> 8) × 32`, as uniform as MurmurHash3.
 */

/** `range` of the package: 2^29 = 32 × 2^24, so `(h << 5) % range` is `h << 5`, never folded. */
export const RING_RANGE = 2 ** 29;

/** The fixed-width string the package's lookup receives for a key hash: its top 24 bits. */
export function ringKey(hash: number): string {
  return String.fromCharCode(
    (hash >>> 28) & 15,
    (hash >>> 24) & 15,
    (hash >>> 20) & 15,
    (hash >>> 16) & 15,
    (hash >>> 12) & 15,
    (hash >>> 8) & 15,
  );
}

/** Where the package places a key hash on the ring, in `[0, RING_RANGE)` (for tests and tools). */
export function keyPosition(hash: number): number {
  return (hash >>> 8) * 32;
}
