import { firstRespawnDelayMs, maxRespawnDelayMs, stableLifetimeMs } from '../core/timings.js';

/**
 * Delay before replacing a dead worker. Immediate for a worker that ran a while; doubling for
 * workers that die right after start, so a bad deploy doesn't fork in a hot loop.
 */
export function respawnDelay(lifetimeMs: number, recentQuickDeaths: number): number {
  if (lifetimeMs >= stableLifetimeMs) return 0;
  return Math.min(firstRespawnDelayMs * 2 ** recentQuickDeaths, maxRespawnDelayMs);
}
