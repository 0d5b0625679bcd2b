import { performance } from 'node:perf_hooks';
import type { LogLine, MooringNode } from '@mooring/testkit';

/**
 * Options for `expect.poll` awaiting an outcome whose speed is not what the test asserts (counts
 * converging, a health check flipping, clients reconnecting): long enough for a loaded 2-core
 * machine, where each poll of the CLI is a process start. A bug still fails; it only takes this
 * long to say so. (vitest's default is 1 s.)
 */
export const settle = { timeout: 10_000 } as const;

/**
 * Resolves as `promise` does, or rejects naming `what` when `ms` pass first. A deadline on an
 * awaited event, not a sleep: nothing waits for it to pass.
 */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  const signal = AbortSignal.timeout(ms);
  const expired = new Promise<never>((_, reject) => {
    signal.addEventListener('abort', () => reject(new Error(`${what}: not within ${ms} ms`)), { once: true });
  });
  return Promise.race([promise, expired]);
}

/** A place in a node's log: waits on it only take lines printed after it. */
export interface LogMark {
  /**
   * The first line after the mark matching `predicate`, past or future (unlike `waitForLog`, an
   * earlier test's line can't answer); the timeout counts from this call, not from the mark.
   */
  next(predicate: (line: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
}

/** Marks `node`'s log as it is now. */
export function markLog(node: MooringNode): LogMark {
  const before = new Set(node.logs);
  return { next: (predicate, timeoutMs) => node.waitForLog((line) => !before.has(line) && predicate(line), timeoutMs) };
}

/** Milliseconds since `start` on the monotonic clock (wall-clock steps don't move it). */
export function msSince(start: number): number {
  return performance.now() - start;
}

/** Now on the monotonic clock, for {@link msSince} and {@link meanRate}. */
export function monotonicNow(): number {
  return performance.now();
}

/**
 * Events per second between the first and the last of `times` (monotonic ms): the pace over the
 * whole run. A stall anywhere (the proxy, the client, this test process) delays events and so
 * only lowers the pace, except that it can bunch the events it delayed: over a whole run that
 * bunching is bounded by the longest stall, where a per-second peak would take it all.
 */
export function meanRate(times: readonly number[]): number {
  if (times.length < 2) return 0;
  const span = Math.max(...times) - Math.min(...times);
  return span > 0 ? ((times.length - 1) * 1000) / span : Infinity;
}
