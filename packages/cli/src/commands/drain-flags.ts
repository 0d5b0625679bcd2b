import { Option, type Command } from 'commander';
import { isSendableCloseCode, sendableCloseCodesText } from '@mooring/balancer';
import { CliError, exitCodes } from '../cli-error.js';
import type { DrainTerms } from './drain-operations.js';
import { durationOption, positiveOption } from './duration-option.js';

/** Flags of a drain, as commander hands them over (text). */
export interface DrainFlags {
  readonly deadline: string;
  readonly closeRate: string;
  readonly closeCode: string;
}

/** Adds `--deadline`, `--close-rate` and `--close-code` to a command. */
export function addDrainOptions(command: Command): Command {
  return command
    .addOption(new Option('--deadline <DURATION>', 'when the remaining connections are closed').default('5m'))
    .addOption(new Option('--close-rate <N>', 'closes per second after the deadline, cluster-wide').default('100'))
    .addOption(new Option('--close-code <CODE>', 'WebSocket close code sent to clients').default('1012'));
}

/** Converts drain flags, refusing bad values with exit 2. */
export function drainTerms(flags: DrainFlags): DrainTerms {
  const closeCode = Number(flags.closeCode);
  // The data plane's own rule: a code that passes here is one every node can put in a close frame.
  if (!isSendableCloseCode(closeCode)) {
    const expected = `a WebSocket close code that may be sent (${sendableCloseCodesText}) such as 1012 or 1001`;
    throw new CliError(`--close-code: expected ${expected}, got ${JSON.stringify(flags.closeCode)}`, exitCodes.usage);
  }
  return {
    deadlineMs: durationOption('--deadline', flags.deadline),
    closeRate: positiveOption('--close-rate', flags.closeRate),
    closeCode,
  };
}
