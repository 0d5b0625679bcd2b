import { Command, CommanderError } from 'commander';
import { CliError } from './cli-error.js';
import { registerBackendCommands } from './commands/backend.js';
import { registerConnectionsCommand } from './commands/connections.js';
import { registerRolloutCommand } from './commands/rollout.js';
import { registerStartCommand } from './commands/start.js';
import { registerStatusCommand } from './commands/status.js';

/** Exit code for a command line or configuration that cannot be used. */
export const usageExitCode = 2;

/**
 * Parses the command line and runs one command. Returns the exit code for commands that finish;
 * `start` keeps running until the node is stopped.
 */
export async function runCli(argv: readonly string[]): Promise<number> {
  const program = new Command('mooring')
    .description('Mooring: a clustered, WebSocket-aware HTTP load balancer')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: (text, write) => write(`mooring: ${text.replace(/^error: /, '').trim().replace(/\s*\n\s*/g, ' ')}\n`) });
  registerStartCommand(program);
  registerBackendCommands(program);
  registerStatusCommand(program);
  registerConnectionsCommand(program);
  registerRolloutCommand(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : usageExitCode;
    if (err instanceof CliError) {
      process.stderr.write(`mooring: ${err.message.replace(/\s*\n\s*/g, ' ')}\n`);
      return err.exitCode;
    }
    throw err;
  }
}
