import type { Command } from 'commander';
import { checkRebalanceTerms, rebalanceDefaults, Rebalancer, type RebalanceTerms } from '@mooring/balancer';
import { CliError, exitCodes, guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { checked } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** Flags of `rebalance`, as commander hands them over (text). */
interface RebalanceFlags {
  readonly tolerance?: string;
  readonly rate?: string;
  readonly minAge?: string;
  readonly for?: string;
  readonly untilBalanced?: boolean;
}

/** `mooring rebalance [--tolerance P%] [--rate N/s] [--until-balanced|--for D] [--min-age D]`. */
export function registerRebalanceCommand(program: Command, host: CommandHost): void {
  addStateOptions(program.command('rebalance'))
    .description(
      'move sessions, oldest first, off backends above their weighted share, closing them gently (1012), paced',
    )
    .option('--tolerance <PERCENT>', `how far from its share a backend may be (default ${rebalanceDefaults.tolerance})`)
    .option('--rate <N/s>', `closes per second, cluster-wide (default ${rebalanceDefaults.rate})`)
    .option('--min-age <D>', `never close a session younger than this (default ${rebalanceDefaults.minAge})`)
    .option('--until-balanced', 'run until every backend is within the tolerance (the default)')
    .option('--for <D>', 'stop after this long, balanced or not')
    .action((options: StateOptions & RebalanceFlags) => {
      if (options.untilBalanced === true && options.for !== undefined)
        throw new CliError('--until-balanced and --for: give one or the other', exitCodes.usage);
      const terms = checked(() => checkRebalanceTerms(options));
      return host.run(options, (deps) => runRebalance(terms, deps));
    });
}

/**
 * Rebalances until balanced (exit 0), or until `--for` runs out or Ctrl-C (exit 0, saying how many
 * are left to move).
 */
export function runRebalance(terms: RebalanceTerms, deps: CommandDeps): Promise<number> {
  const { store, out, err, now, sleep } = deps;
  return guarded(err, async () => {
    const percent = `${Math.round(terms.tolerance * 1000) / 10}%`;
    out(`rebalancing: tolerance ${percent}, ${terms.rate}/s, sessions ${terms.minAgeMs / 1000}s old or more\n`);
    // Ctrl-C stops it cleanly: the nodes stop holding at once and the progress says stopped.
    const interrupted = new AbortController();
    const stopListening = deps.onInterrupt?.(() => interrupted.abort());
    const report = (line: string): void => out(`${line}\n`);
    const rebalancer = new Rebalancer({ store, terms, now, sleep, report, signal: interrupted.signal });
    const outcome = await rebalancer.run().finally(() => stopListening?.());
    if (outcome.state === 'balanced')
      return void out(`balanced: every backend within ${percent} of its share; ${outcome.closed} session(s) moved\n`);
    const because = why[outcome.stalled ?? 'none'];
    out(`stopped: not balanced, ${outcome.remaining} session(s) still to move; ${outcome.closed} moved${because}\n`);
  });
}

/** What `stopped` adds when the rebalance stopped of itself (RebalanceOutcome.stalled). */
const why = {
  none: '',
  'no-closer': ' (the moved sessions keep coming back: 2 rounds brought it no closer)',
  'moved-only':
    ' (what is left to move are clients it already moved once, or that came since its first close: it closes a client' +
    ' at most once; run it again to move them)',
} as const;
