/**
 * How many of this node's sessions on one backend to close during the next tick, so that the
 * whole cluster closes at `rate` per second: each node takes the share of the rate that its
 * sessions are of the cluster-wide count. `carry` keeps the fraction of a close that a tick
 * could not spend, so low rates still close steadily. Pure.
 */
export function closesForTick(input: {
  localLive: number;
  clusterLive: number;
  rate: number;
  tickMs: number;
  carry: number;
}): { count: number; carry: number } {
  const { localLive, rate, tickMs } = input;
  if (localLive <= 0 || rate <= 0) return { count: 0, carry: 0 };
  // A stale cluster count can lag behind; this node's own count is exact and a floor for it.
  const share = localLive / Math.max(input.clusterLive, localLive);
  const budget = input.carry + (rate * share * tickMs) / 1000;
  const count = Math.min(Math.floor(budget), localLive);
  return { count, carry: Math.min(budget - count, 1) };
}

/**
 * Random offsets within a tick for `count` closes, so that clients of different nodes and ticks
 * do not reconnect in lockstep (jitter against reconnect storms). `random` is injected for tests.
 */
export function jitteredOffsets(count: number, tickMs: number, random: () => number = Math.random): number[] {
  return Array.from({ length: count }, () => Math.floor(random() * tickMs)).sort((a, b) => a - b);
}
