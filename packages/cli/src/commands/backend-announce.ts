import { Option, type Command } from 'commander';
import { checkBackend, drainDefaults, leaseTtlBounds, type CheckedBackend } from '@mooring/balancer';
import { CliError, exitCodes, guarded } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import type { CommandHost } from './command-host.js';
import { startDrain, waitDrained } from './drain-operations.js';
import { durationOption } from './duration-option.js';
import { LeaseKeeper } from './lease-keeper.js';
import { checked } from './operator-failure.js';
import { addStateOptions, type StateOptions } from './state-options.js';

/** `backend announce` once checked. */
export interface BackendAnnounceArgs {
  readonly backend: CheckedBackend;
  readonly ttlMs: number;
  /** How long a stop drains before the remaining sessions are closed (paced, gently). */
  readonly drainDeadlineMs: number;
}

interface AnnounceFlags {
  readonly ttl: string;
  readonly weight: string;
  readonly drainDeadline: string;
}

/** `mooring backend announce ID URL [--ttl D] [--weight N] [--drain-deadline D]`. */
export function registerBackendAnnounce(backend: Command, host: CommandHost): void {
  addStateOptions(backend.command('announce').argument('<ID>').argument('<URL>'))
    .description(
      'register a backend under a lease kept alive until stopped; SIGTERM or Ctrl-C drains it, then removes it',
    )
    .addOption(new Option('--ttl <D>', 'lease length (1s to 1h), renewed every third of it').default('10s'))
    .addOption(new Option('--weight <N>', 'relative capacity').default('1'))
    .addOption(new Option('--drain-deadline <D>', 'on stop: drain this long, then close the rest').default('30s'))
    .action((id: string, url: string, options: StateOptions & AnnounceFlags) => {
      const args = backendAnnounceArgs(id, url, options);
      return host.run(options, (deps) => runBackendAnnounce(args, deps));
    });
}

/** Checks every argument before Redis is contacted (a bad one: exit 2, naming it). */
export function backendAnnounceArgs(id: string, url: string, flags: AnnounceFlags): BackendAnnounceArgs {
  const backend = checked(() => checkBackend({ id, url, weight: Number(flags.weight) }));
  const ttlMs = durationOption('--ttl', flags.ttl);
  if (ttlMs < leaseTtlBounds.minMs || ttlMs > leaseTtlBounds.maxMs) {
    const message = `--ttl: expected a duration from 1s to 1h, got ${JSON.stringify(flags.ttl)}`;
    throw new CliError(message, exitCodes.usage);
  }
  return { backend, ttlMs, drainDeadlineMs: durationOption('--drain-deadline', flags.drainDeadline) };
}

/**
 * Announces the backend and keeps its lease alive until interrupted, then drains it through the
 * fleet-wide drain (no new sessions; live ones closed gently, paced, from the deadline) and removes
 * it. Exits 4 (nothing changed) when the id is an operator's or another announcer's.
 */
export function runBackendAnnounce(args: BackendAnnounceArgs, deps: CommandDeps): Promise<number> {
  const { backend, ttlMs } = args;
  const { out, err } = deps;
  return guarded(err, async () => {
    const keeper = new LeaseKeeper({ ...deps, backend, ttlMs });
    refuseUnlessFree(backend.id, await keeper.start());
    out(
      `announced ${backend.id} ${backend.url} (weight ${backend.weight}): lease ${seconds(ttlMs)}, renewed every ` +
        `${seconds(keeper.renewEveryMs)}; SIGTERM or Ctrl-C drains and removes it\n`,
    );
    const stop = interruptions(deps);
    try {
      const ended = await Promise.race([keeper.lost(), stop.first.then(() => 'stop' as const)]);
      if (ended !== 'stop') {
        const whose = ended === 'operator' ? 'an operator registered it' : 'another announcer holds it';
        throw new CliError(`lease of ${backend.id} lost: ${whose}; that entry is left as it is`);
      }
      await drainThenRemove(args, deps, keeper, stop.second);
    } finally {
      stop.dispose();
      await keeper.stop();
    }
  });
}

function refuseUnlessFree(id: string, outcome: string): void {
  const shown = JSON.stringify(id);
  if (outcome === 'operator') {
    const message = `backend ${shown} is registered by an operator (mooring backend add); an announcer never replaces it: nothing changed`;
    throw new CliError(message, exitCodes.refused);
  }
  if (outcome === 'held') {
    throw new CliError(
      `backend ${shown} is held by the live lease of another announcer: nothing changed`,
      exitCodes.refused,
    );
  }
}

/**
 * The stop: the lease is renewed throughout, so no node drops the entry (and its drain) mid-way.
 * A second interrupt cuts the wait short: the entry goes at once, its live sessions left to end.
 */
async function drainThenRemove(
  { backend, drainDeadlineMs }: BackendAnnounceArgs,
  deps: CommandDeps,
  keeper: LeaseKeeper,
  second: Promise<void>,
): Promise<void> {
  const { out } = deps;
  const { id } = backend;
  const terms = { deadlineMs: drainDeadlineMs, closeRate: drainDefaults.closeRate, closeCode: drainDefaults.closeCode };
  try {
    const { deadlineAt } = await startDrain(deps, id, terms);
    out(`draining ${id}: no new sessions; remaining ones closed from ${new Date(deadlineAt).toISOString()}\n`);
    const waiting = waitDrained(deps, id, { deadlineAt, closeRate: terms.closeRate }, (line) => out(`${line}\n`));
    // Stopped waiting for (second interrupt): its next poll finds the store closed; nothing to report.
    waiting.catch(() => undefined);
    const forced = await Promise.race([waiting, second.then(() => undefined)]);
    if (forced === undefined) out(`${id}: stopped waiting; live sessions left to end on their own\n`);
    else if (forced > 0) out(`${id}: ${forced} connection(s) closed at the deadline\n`);
  } finally {
    const removed = await keeper.release();
    out(removed ? `removed ${id}\n` : `${id} is no longer this announcer's entry; left as it is\n`);
  }
}

/** The first and second interrupt (SIGTERM, SIGINT) as promises; `dispose` gives the signals back. */
function interruptions({ onInterrupt }: CommandDeps): {
  first: Promise<void>;
  second: Promise<void>;
  dispose: () => void;
} {
  const resolvers: (() => void)[] = [];
  const first = new Promise<void>((resolve) => resolvers.push(resolve));
  const second = new Promise<void>((resolve) => resolvers.push(resolve));
  let count = 0;
  const dispose = onInterrupt?.(() => resolvers[Math.min(count++, 1)]?.()) ?? (() => undefined);
  return { first, second, dispose };
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))}s`;
}
