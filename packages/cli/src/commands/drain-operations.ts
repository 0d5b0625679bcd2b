import type { StateStore } from '@mooring/balancer';
import { CliError } from '../cli-error.js';

/** Terms of a drain as the operator gave them. */
export interface DrainTerms {
  readonly deadlineMs: number;
  readonly closeRate: number;
  readonly closeCode: number;
}

/** Live sessions on a backend, cluster-wide. */
export async function liveOn(store: StateStore, id: string): Promise<number> {
  return (await store.liveCounts()).total.get(id) ?? 0;
}

/**
 * Marks a backend draining on every node (no new sessions, cookies naming it re-pinned) and
 * records when and how its remaining sessions are closed, in one store operation: a crash can
 * never leave the state without its terms or a change unannounced. Draining twice keeps the
 * first start but takes the new terms.
 */
export async function startDrain(store: StateStore, id: string, terms: DrainTerms): Promise<{ deadlineAt: number }> {
  const now = Date.now();
  const { deadlineMs, closeRate, closeCode } = terms;
  const drain = await store.drainBackend(id, { startedAt: now, deadlineAt: now + deadlineMs, closeRate, closeCode });
  if (!drain) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
  return { deadlineAt: drain.deadlineAt };
}

/**
 * Waits until no session is left on the backend, printing progress as the count changes.
 * Resolves with how many were still open at the deadline (closed by force), 0 if none.
 */
export async function waitDrained(store: StateStore, id: string, deadlineAt: number, closeRate: number, print: (line: string) => void): Promise<number> {
  let last = -1;
  let atDeadline: number | undefined;
  for (;;) {
    const live = await liveOn(store, id);
    const now = Date.now();
    // The nodes start closing at the deadline: what was open just before it is what they force.
    if (now >= deadlineAt && atDeadline === undefined) atDeadline = last >= 0 ? last : live;
    if (live !== last) print(`${id}: ${live} live connection(s)${now < deadlineAt ? `, deadline in ${Math.ceil((deadlineAt - now) / 1000)}s` : ', closing at the deadline'}`);
    last = live;
    if (live === 0) return atDeadline ?? 0;
    // After the deadline the closes take remaining/rate seconds; allow that, plus slack.
    if (atDeadline !== undefined && now > deadlineAt + (atDeadline / closeRate) * 1000 + 15_000) {
      throw new CliError(`${id}: ${live} connection(s) still open well after the deadline; are the nodes holding them up?`);
    }
    // Poll every 200 ms, and once more just before the deadline.
    const untilDeadline = deadlineAt - now - 25;
    await new Promise((resolve) => setTimeout(resolve, untilDeadline > 0 ? Math.min(200, untilDeadline) : 200));
  }
}
