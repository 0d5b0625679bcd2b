import type { StateStore } from '@mooring/balancer';
import { CliError } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';

/** Terms of a drain as the operator gave them. */
export interface DrainTerms {
  readonly deadlineMs: number;
  readonly closeRate: number;
  readonly closeCode: number;
}

/** How often a waiting command looks at the live count again. */
const pollMs = 200;
/** The last look before the deadline comes this early, so the count "just before" is the one the nodes force. */
const beforeDeadlineMs = 25;
/** After the deadline the closes take remaining/rate seconds; this much longer is a stuck drain. */
const closingSlackMs = 15_000;

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
export async function startDrain(
  { store, now }: Pick<CommandDeps, 'store' | 'now'>,
  id: string,
  terms: DrainTerms,
): Promise<{ deadlineAt: number }> {
  const startedAt = now();
  const { deadlineMs, closeRate, closeCode } = terms;
  const drain = await store.drainBackend(id, { startedAt, deadlineAt: startedAt + deadlineMs, closeRate, closeCode });
  if (!drain) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
  return { deadlineAt: drain.deadlineAt };
}

/**
 * Waits until no session is left on the backend, printing progress as the count changes.
 * Resolves with how many were still open at the deadline (closed by force), 0 if none.
 */
export async function waitDrained(
  { store, now, sleep }: Pick<CommandDeps, 'store' | 'now' | 'sleep'>,
  id: string,
  deadline: { readonly deadlineAt: number; readonly closeRate: number },
  print: (line: string) => void,
): Promise<number> {
  const { deadlineAt, closeRate } = deadline;
  let last = -1;
  let atDeadline: number | undefined;
  for (;;) {
    const live = await liveOn(store, id);
    const at = now();
    // The nodes start closing at the deadline: what was open just before it is what they force.
    if (at >= deadlineAt && atDeadline === undefined) atDeadline = last >= 0 ? last : live;
    if (live !== last) print(`${id}: ${live} live connection(s)${progressSuffix(deadlineAt - at)}`);
    last = live;
    if (live === 0) return atDeadline ?? 0;
    if (atDeadline !== undefined && at > deadlineAt + (atDeadline / closeRate) * 1000 + closingSlackMs) {
      throw new CliError(
        `${id}: ${live} connection(s) still open well after the deadline; are the nodes holding them up?`,
      );
    }
    const untilLastLook = deadlineAt - at - beforeDeadlineMs;
    await sleep(untilLastLook > 0 ? Math.min(pollMs, untilLastLook) : pollMs);
  }
}

function progressSuffix(untilDeadlineMs: number): string {
  return untilDeadlineMs > 0 ? `, deadline in ${Math.ceil(untilDeadlineMs / 1000)}s` : ', closing at the deadline';
}
