import { Option, type Command } from 'commander';
import { validateBackend } from '@mooring/balancer';
import { CliError, exitCodes, guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { addDrainOptions, drainTerms, type DrainFlags } from './drain-flags.js';
import type { DrainTerms } from './drain-operations.js';
import { durationOption } from './duration-option.js';
import { registerAdditions, retire, waitRoutable, type Addition } from './rollout-steps.js';
import { addStateOptions, type StateOptions } from './state-options.js';

interface RolloutFlags extends StateOptions, DrainFlags {
  readonly add?: string;
  readonly retire?: string;
  readonly healthyTimeout: string;
}

/** `rollout` once checked. */
export interface RolloutArgs {
  readonly additions: readonly Addition[];
  readonly retired: readonly string[];
  /** Terms of the drains; `closeRate` is the rollout's total, shared by the retired backends. */
  readonly terms: DrainTerms;
  readonly healthyTimeoutMs: number;
}

/**
 * `mooring rollout`: register the new backends, wait until every node routes to them, drain the
 * retired ones, wait, remove them. Every step looks at the shared state first, so a rollout that
 * was interrupted carries on from where it stopped when run again with the same arguments.
 */
export function registerRolloutCommand(program: Command, host: CommandHost): void {
  addDrainOptions(addStateOptions(program.command('rollout')))
    .description(
      'replace backends: add new ones, wait until every node sees them healthy, drain and remove the old ones',
    )
    .option('--add <ID=URL,...>', 'backends to add')
    .option('--retire <ID,...>', 'backends to drain and remove')
    .addOption(
      new Option('--healthy-timeout <DURATION>', 'longest wait for every node to route to the new backends').default(
        '60s',
      ),
    )
    .action((options: RolloutFlags) => {
      const args = rolloutArgs(options);
      return host.run(options, (deps) => runRollout(args, deps));
    });
}

/** Checks the rollout's flags: any bad one exits 2 before Redis is contacted. */
export function rolloutArgs(flags: Omit<RolloutFlags, keyof StateOptions>): RolloutArgs {
  const additions = parseAdditions(flags.add ?? '');
  const retired = listOf(flags.retire ?? '');
  if (additions.length === 0 && retired.length === 0) {
    throw new CliError('nothing to do: give --add ID=URL,… and/or --retire ID,…', exitCodes.usage);
  }
  const terms = drainTerms(flags);
  return { additions, retired, terms, healthyTimeoutMs: durationOption('--healthy-timeout', flags.healthyTimeout) };
}

/** Runs the rollout's steps, printing each. */
export function runRollout(args: RolloutArgs, deps: CommandDeps): Promise<number> {
  const { store, out, err } = deps;
  const say = (line: string): void => out(`${line}\n`);
  return guarded(err, async () => {
    await registerAdditions(store, args.additions, say);
    const added = args.additions.map((backend) => backend.id);
    await waitRoutable(deps, added, args.healthyTimeoutMs, say);
    const registered = new Set((await store.readRegistry()).backends.map((backend) => backend.id));
    const pending = args.retired.filter((id) => registered.has(id));
    for (const id of args.retired.filter((id) => !registered.has(id))) say(`${id}: already removed`);
    const existing = await store.readDrains();
    // --close-rate is the rollout's total: backends drained together share it.
    const perBackend = { ...args.terms, closeRate: args.terms.closeRate / Math.max(1, pending.length) };
    await Promise.all(pending.map((id) => retire(deps, id, existing.get(id), perBackend, say)));
    say('rollout complete');
  });
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function parseAdditions(text: string): Addition[] {
  return listOf(text).map((entry) => {
    const at = entry.indexOf('=');
    if (at <= 0) throw new CliError(`--add: expected ID=URL, got ${JSON.stringify(entry)}`, exitCodes.usage);
    try {
      const backend = validateBackend({ id: entry.slice(0, at), url: entry.slice(at + 1), weight: 1, state: 'active' });
      return { ...backend, state: 'active' as const };
    } catch (err) {
      throw new CliError(`--add: ${(err as Error).message}`, exitCodes.usage);
    }
  });
}
