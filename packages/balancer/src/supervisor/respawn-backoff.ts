/** A worker that lived at least this long is not crash-looping: replace it at once. */
const stableLifetimeMs = 5_000;
const firstDelayMs = 100;
const maxDelayMs = 5_000;

/**
 * Delay before replacing a dead worker. Immediate for a worker that ran a while; doubling for
 * workers that die right after start, so a bad deploy doesn't fork in a hot loop.
 */
export function respawnDelay(lifetimeMs: number, recentQuickDeaths: number): number {
  if (lifetimeMs >= stableLifetimeMs) return 0;
  return Math.min(firstDelayMs * 2 ** recentQuickDeaths, maxDelayMs);
}

export { stableLifetimeMs };
