import { Option, type Command } from 'commander';
import { validateBackend, type StateStore } from '@mooring/balancer';
import { CliError } from '../cli-error.js';
import { addDrainOptions, drainTerms, type DrainFlags } from './backend.js';
import { startDrain, waitDrained, type DrainTerms } from './drain-operations.js';
import { durationOption } from './duration-option.js';
import { addStateOptions, withStore, type StateOptions } from './state-options.js';

/** Terms of a drain as recorded in the store. */
type DrainRecord = Parameters<StateStore['drainBackend']>[1];

interface RolloutFlags extends StateOptions, DrainFlags {
  readonly add?: string;
  readonly retire?: string;
  readonly healthyTimeout: string;
}

/**
 * `mooring rollout`: register the new backends, wait until every node routes to them, drain the
 * retired ones, wait, remove them. Every step looks at the shared state first, so a rollout that
 * was interrupted carries on from where it stopped when run again with the same arguments.
 */
export function registerRolloutCommand(program: Command): void {
  addDrainOptions(addStateOptions(program.command('rollout')))
    .description('replace backends: add new ones, wait until every node sees them healthy, drain and remove the old ones')
    .option('--add <ID=URL,...>', 'backends to add')
    .option('--retire <ID,...>', 'backends to drain and remove')
    .addOption(new Option('--healthy-timeout <DURATION>', 'longest wait for every node to route to the new backends').default('60s'))
    .action((options: RolloutFlags) => rollout(options));
}

async function rollout(options: RolloutFlags): Promise<void> {
  const additions = parseAdditions(options.add ?? '');
  const retired = (options.retire ?? '').split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (additions.length === 0 && retired.length === 0) throw new CliError('nothing to do: give --add ID=URL,… and/or --retire ID,…', 2);
  const terms = drainTerms(options);
  const healthyTimeoutMs = durationOption('--healthy-timeout', options.healthyTimeout);
  const say = (line: string): void => void process.stdout.write(`${line}\n`);
  await withStore(options, async (store) => {
    await registerAdditions(store, additions, say);
    await waitRoutable(store, additions.map((backend) => backend.id), healthyTimeoutMs, say);
    const registered = new Set((await store.readRegistry()).backends.map((backend) => backend.id));
    const pending = retired.filter((id) => registered.has(id));
    for (const id of retired.filter((id) => !registered.has(id))) say(`${id}: already removed`);
    const existing = await store.readDrains();
    // --close-rate is the rollout's total: backends drained together share it.
    const perBackend = { ...terms, closeRate: terms.closeRate / Math.max(1, pending.length) };
    await Promise.all(
      pending.map(async (id) => {
        const deadlineAt = await resumeOrStartDrain(store, id, existing.get(id), perBackend);
        say(`${id}: draining, deadline ${new Date(deadlineAt).toISOString()}`);
        const forced = await waitDrained(store, id, deadlineAt, perBackend.closeRate, say);
        if (forced > 0) say(`${id}: ${forced} connection(s) closed at the deadline`);
        await store.removeBackend(id);
        say(`${id}: removed`);
      }),
    );
    say('rollout complete');
  });
}

/**
 * A drain started by an earlier, interrupted run keeps its terms and deadline. They are written
 * again all the same: that one store operation also sets the state draining, which a run of an
 * older version, writing the terms and the state separately, may have died before doing.
 */
async function resumeOrStartDrain(
  store: StateStore,
  id: string,
  previous: DrainRecord | undefined,
  terms: DrainTerms,
): Promise<number> {
  if (!previous) return (await startDrain(store, id, terms)).deadlineAt;
  const drain = await store.drainBackend(id, previous);
  if (!drain) throw new CliError(`unknown backend ${JSON.stringify(id)}`);
  return drain.deadlineAt;
}

function parseAdditions(text: string): { id: string; url: string; weight: number; state: 'active' }[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const at = entry.indexOf('=');
      if (at <= 0) throw new CliError(`--add: expected ID=URL, got ${JSON.stringify(entry)}`, 2);
      try {
        return { ...validateBackend({ id: entry.slice(0, at), url: entry.slice(at + 1), weight: 1, state: 'active' }), state: 'active' as const };
      } catch (err) {
        throw new CliError(`--add: ${(err as Error).message}`, 2);
      }
    });
}

async function registerAdditions(store: StateStore, additions: ReturnType<typeof parseAdditions>, say: (line: string) => void): Promise<void> {
  const registered = new Map((await store.readRegistry()).backends.map((backend) => [backend.id, backend]));
  for (const backend of additions) {
    const current = registered.get(backend.id);
    if (current?.url === backend.url && current.state === 'active') {
      say(`${backend.id}: already registered`);
      continue;
    }
    await store.putBackend({ ...backend, weight: current?.weight ?? backend.weight });
    say(`${backend.id}: registered ${backend.url}`);
  }
}

/** Waits until every live node reports the backends as routable (registered, active, healthy). */
async function waitRoutable(store: StateStore, ids: readonly string[], timeoutMs: number, say: (line: string) => void): Promise<void> {
  if (ids.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  let last = '';
  for (;;) {
    const nodes = await store.listNodes();
    const waiting = nodes.filter((node) => !ids.every((id) => node.routable?.includes(id))).map((node) => node.id);
    const line = nodes.length === 0 ? 'no node is running: nothing to wait for' : waiting.length === 0 ? `every node (${nodes.length}) routes to ${ids.join(', ')}` : `waiting for ${waiting.join(', ')} to see ${ids.join(', ')} healthy`;
    if (line !== last) say(line);
    last = line;
    if (waiting.length === 0) return;
    if (Date.now() > deadline) throw new CliError(`new backends not healthy on every node after ${Math.round(timeoutMs / 1000)}s (waiting for ${waiting.join(', ')}); nothing was drained`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
