import { drainBackend, liveConnectionsOn, type DrainTerms } from '@mooring/balancer';
import { CliError } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { operation } from './operator-failure.js';

export type { DrainTerms } from '@mooring/balancer';

/** How often a waiting command looks at the live count again. */
const pollMs = 200;
/** The last look before the deadline comes this early, so the count "just before" is the one the nodes force. */
const beforeDeadlineMs = 25;
/** After the deadline the closes take remaining/rate seconds; this much longer is a stuck drain. */
const closingSlackMs = 15_000;

/**
 * Starts (or re-terms) the drain on every node with the balancer's shared operation (the admin
 * API's too): state, terms and announcement in one store operation. Draining twice keeps the
 * first start but takes the new terms.
 */
export async function startDrain(
  { store, now }: Pick<CommandDeps, 'store' | 'now'>,
  id: string,
  terms: DrainTerms,
): Promise<{ deadlineAt: number }> {
  const drain = await operation(() => drainBackend(store, id, terms, now));
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
    const live = await liveConnectionsOn(store, id);
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
