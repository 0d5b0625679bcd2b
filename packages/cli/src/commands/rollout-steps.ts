import { leasedBackend, type Backend, type DrainRecord, type StateStore } from '@mooring/balancer';
import { CliError } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { startDrain, waitDrained, type DrainTerms } from './drain-operations.js';

/** A backend a rollout adds: always registered active. */
export type Addition = Backend & { readonly state: 'active' };

type Say = (line: string) => void;

/** How often the rollout looks at the nodes' heartbeats again. */
const pollMs = 200;

/** Registers what is not registered yet (or has another URL, or is not active); keeps an existing weight. */
export async function registerAdditions(store: StateStore, additions: readonly Addition[], say: Say): Promise<void> {
  const registered = new Map((await store.readRegistry()).backends.map((backend) => [backend.id, backend]));
  for (const backend of additions) {
    const current = registered.get(backend.id);
    if (current?.url === backend.url && current.state === 'active') {
      say(`${backend.id}: already registered`);
      continue;
    }
    if (!(await store.putBackend({ ...backend, weight: current?.weight ?? backend.weight }))) {
      throw new CliError(leasedBackend(backend.id).message);
    }
    say(`${backend.id}: registered ${backend.url}`);
  }
}

/** Waits until every live node reports the backends as routable (registered, active, healthy). */
export async function waitRoutable(
  { store, now, sleep }: Pick<CommandDeps, 'store' | 'now' | 'sleep'>,
  ids: readonly string[],
  timeoutMs: number,
  say: Say,
): Promise<void> {
  if (ids.length === 0) return;
  const deadline = now() + timeoutMs;
  let last = '';
  for (;;) {
    const nodes = await store.listNodes();
    const waiting = nodes.filter((node) => !ids.every((id) => node.routable?.includes(id))).map((node) => node.id);
    const line = routableLine(nodes.length, waiting, ids);
    if (line !== last) say(line);
    last = line;
    if (waiting.length === 0) return;
    if (now() > deadline) {
      const seconds = Math.round(timeoutMs / 1000);
      const message = `new backends not healthy on every node after ${seconds}s (waiting for ${waiting.join(', ')})`;
      throw new CliError(`${message}; nothing was drained`);
    }
    await sleep(pollMs);
  }
}

function routableLine(nodes: number, waiting: readonly string[], ids: readonly string[]): string {
  if (nodes === 0) return 'no node is running: nothing to wait for';
  if (waiting.length === 0) return `every node (${nodes}) routes to ${ids.join(', ')}`;
  return `waiting for ${waiting.join(', ')} to see ${ids.join(', ')} healthy`;
}

/** Drains one retired backend (resuming a drain already started), waits, removes it. */
export async function retire(
  deps: Pick<CommandDeps, 'store' | 'now' | 'sleep'>,
  id: string,
  previous: DrainRecord | undefined,
  terms: DrainTerms,
  say: Say,
): Promise<void> {
  const deadlineAt = await resumeOrStartDrain(deps, id, previous, terms);
  say(`${id}: draining, deadline ${new Date(deadlineAt).toISOString()}`);
  const forced = await waitDrained(deps, id, { deadlineAt, closeRate: terms.closeRate }, say);
  if (forced > 0) say(`${id}: ${forced} connection(s) closed at the deadline`);
  await deps.store.removeBackend(id);
  say(`${id}: removed`);
}

/**
 * A drain started by an earlier, interrupted run keeps its terms and deadline. They are written
 * again all the same: that one store operation also sets the state draining, which a run of an
 * older version, writing the terms and the state separately, may have died before doing.
 */
async function resumeOrStartDrain(
  deps: Pick<CommandDeps, 'store' | 'now'>,
  id: string,
  previous: DrainRecord | undefined,
  terms: DrainTerms,
): Promise<number> {
  if (!previous) return (await startDrain(deps, id, terms)).deadlineAt;
  const drain = await deps.store.drainBackend(id, previous);
  if (!drain) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
  return drain.deadlineAt;
}
