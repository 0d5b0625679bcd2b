/**
 * The fixed timings of the control plane, each with why it is what it is. The configurable
 * ones (heartbeat and health intervals) come from the config instead.
 */

/** Batching of connection-table writes: one pipeline per 100 ms, not one round trip per session. */
export const flushIntervalMs = 100;

/**
 * Reading of cluster-wide live counts: often enough for least-connections and drain progress
 * to follow the fleet, rarely enough that a large fleet's tables are not summed all the time.
 */
export const countsIntervalMs = 500;

/** A dead backend refuses every worker's every attempt: one report per backend per 500 ms is enough. */
export const passiveReportIntervalMs = 500;

/** Polling of the registry, the safety net under pub/sub for raw HSET/HDEL (DESIGN: within 2 s). */
export const registryPollMs = 1_000;

/** Ticks of paced closing; each tick's closes are spread with jitter inside it. */
export const closeTickMs = 100;
