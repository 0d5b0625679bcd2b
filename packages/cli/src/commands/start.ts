import cluster from 'node:cluster';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ConfigError, createLogger, loadConfig, Primary, startOptions, type Logger } from '@mooring/balancer';

const collect = (value: string, previous: string[] | undefined): string[] => [...(previous ?? []), value];

/** `mooring start`: validate the configuration, then run this node's primary. */
export function registerStartCommand(program: Command): void {
  const start = program
    .command('start')
    .description('start a Mooring node (flags > MOORING_* env > config file > defaults)');
  start.addOption(new Option('-c, --config <file>', 'YAML or JSON configuration file').env('MOORING_CONFIG'));
  for (const spec of startOptions) {
    const repeatable = spec.kind === 'list' || spec.kind === 'backends';
    const option = new Option(`--${spec.flag} <${spec.valueName}>`, spec.help);
    start.addOption(repeatable ? option.argParser(collect) : option);
  }
  start.action(async (options: Record<string, string | string[] | undefined>) => {
    const flags = Object.fromEntries(startOptions.map((spec) => [spec.key, options[camel(spec.flag)]]));
    const sources = { file: options.config as string | undefined, env: process.env, flags };
    let config;
    try {
      // Before the logger exists, warnings are plain lines for the person who typed the command.
      const onWarning = (message: string): void => void process.stderr.write(`mooring: warning: ${message}\n`);
      config = loadConfig({ ...sources, onWarning });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`mooring: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    if (!cluster.isPrimary) throw new Error('mooring start must run as the primary');
    const log = createLogger({ node: config.nodeId, worker: 0, level: config.logLevel });
    // SIGHUP reads the same sources again: the file may have changed, flags and env cannot.
    const reload = () =>
      loadConfig({ ...sources, onWarning: (warning) => log.warn({ warning }, 'SIGHUP: configuration warning') });
    let primary: Primary;
    try {
      primary = await Primary.start({ config, log, reloadConfig: reload, workerEntry });
    } catch (err) {
      // What only the primary can check (certificate files) is as much a configuration error.
      if (!(err instanceof ConfigError)) throw err;
      process.stderr.write(`mooring: invalid configuration: ${err.message}\n`);
      process.exit(2);
    }
    handleProcessSignals(primary, log);
    await new Promise(() => {}); // the primary runs until a signal stops it
  });
}

/** The script every worker process runs. */
const workerEntry = fileURLToPath(new URL('../worker-entry.js', import.meta.url));

/**
 * The process-wide part of the primary: signals, and the last-resort handlers. The primary holds
 * no connections, but its death takes every worker's with it: a bug there is logged loudly and
 * survived rather than turned into an outage.
 */
function handleProcessSignals(primary: Primary, log: Logger): void {
  process.on('uncaughtException', (err) =>
    log.fatal({ err }, 'uncaught exception in the primary; carrying on so the workers keep their connections'),
  );
  process.on('unhandledRejection', (err) => log.fatal({ err }, 'unhandled rejection in the primary; carrying on'));
  const stop = (signal: NodeJS.Signals): void =>
    void primary.shutdown(signal).then(() => {
      log.flush?.();
      process.exit(0);
    });
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  process.on('SIGHUP', () => void primary.reload());
}

function camel(flag: string): string {
  return flag.replace(/-([a-z])/g, (_match, letter: string) => letter.toUpperCase());
}
