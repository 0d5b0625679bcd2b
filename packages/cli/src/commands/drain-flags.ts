import { Option, type Command } from 'commander';
import { checkDrainTerms, drainDefaults, type DrainTermNames, type DrainTerms } from '@mooring/balancer';
import { checked } from './operator-failure.js';

/** Flags of a drain, as commander hands them over (text). */
export interface DrainFlags {
  readonly deadline: string;
  readonly closeRate: string;
  readonly closeCode: string;
}

/** How the shared check names each term in its messages. */
const flagNames: DrainTermNames = { deadline: '--deadline', closeRate: '--close-rate', closeCode: '--close-code' };

/** Adds `--deadline`, `--close-rate` and `--close-code` to a command, with the defaults the admin API has too. */
export function addDrainOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--deadline <DURATION>', 'when the remaining connections are closed').default(drainDefaults.deadline),
    )
    .addOption(
      new Option('--close-rate <N>', 'closes per second after the deadline, cluster-wide').default(
        String(drainDefaults.closeRate),
      ),
    )
    .addOption(
      new Option('--close-code <CODE>', 'WebSocket close code sent to clients').default(
        String(drainDefaults.closeCode),
      ),
    );
}

/** Converts drain flags with the balancer's one check (the admin API's too), refusing bad values with exit 2. */
export function drainTerms(flags: DrainFlags): DrainTerms {
  return checked(() => checkDrainTerms(flags, flagNames));
}
