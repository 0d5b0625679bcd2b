import { Command, CommanderError } from 'commander';
import { CliError, exitCodes, reportFailure } from './cli-error.js';
import { cliVersion } from './cli-version.js';
import type { CliDeps } from './command-deps.js';
import { registerBackendCommands } from './commands/backend.js';
import { CommandHost } from './commands/command-host.js';
import { registerConnectionsCommand } from './commands/connections.js';
import { registerRebalanceCommand } from './commands/rebalance.js';
import { registerRolloutCommand } from './commands/rollout.js';
import { registerStartCommand } from './commands/start.js';
import { registerStatusCommand } from './commands/status.js';
import { processDeps } from './process-deps.js';

/**
 * Parses the command line and runs one command. Returns the exit code for commands that finish;
 * `start` keeps running until the node is stopped. Tests pass `deps` (a store, captured output,
 * a fake clock) to run the operator commands in-process; `start` always uses the real process.
 */
export async function runCli(argv: readonly string[], deps: CliDeps = processDeps()): Promise<number> {
  const host = new CommandHost(deps);
  const program = buildProgram(deps, host);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return host.exitCode;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? exitCodes.ok : exitCodes.usage;
    // An argument checked in an action, or a store that could not be opened.
    if (err instanceof CliError) return reportFailure(err, deps.err);
    throw err;
  }
}

function buildProgram(deps: CliDeps, host: CommandHost): Command {
  const program = new Command('mooring')
    .description('Mooring: a clustered, WebSocket-aware HTTP load balancer')
    .version(cliVersion(), '-V, --version', 'print the version')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({
      writeOut: deps.out,
      writeErr: deps.err,
      // One line, like every other error: commander's own messages may span several.
      outputError: (text, write) => write(`mooring: ${oneLine(text.replace(/^error: /, ''))}\n`),
    });
  registerStartCommand(program);
  registerBackendCommands(program, host);
  registerStatusCommand(program, host);
  registerConnectionsCommand(program, host);
  registerRolloutCommand(program, host);
  registerRebalanceCommand(program, host);
  return program;
}

function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, ' ');
}
