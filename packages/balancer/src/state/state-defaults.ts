/**
 * How long a connection table written for a node with no live heartbeat is kept (it is never
 * counted meanwhile): long enough for a node that records its first sessions just before its
 * first heartbeat, short enough that a table written by a dying node does not linger.
 */
export const DEFAULT_ORPHAN_TTL_MS = 30_000;
