import type { StateStore } from '@mooring/balancer';

/** Where a command writes: text goes out as given, so a caller ends its own lines. */
export type Writer = (text: string) => void;

/** Everything an operator command touches besides its arguments; tests pass fakes. */
export interface CommandDeps {
  /** The cluster's shared state (Redis in production, MemoryStateStore in tests). */
  readonly store: StateStore;
  /** Results: tables, JSON, progress lines. */
  readonly out: Writer;
  /** Errors and warnings, one line each. */
  readonly err: Writer;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Waits between polls (drain --wait, remove --drain, rollout); a fake one advances a fake clock. */
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * What `runCli` needs to run any operator command: the command's deps without a store, and how
 * to open one from `--redis`/`--prefix` (each command opens its own and closes it when done).
 */
export interface CliDeps extends Omit<CommandDeps, 'store'> {
  readonly openStore: (where: { readonly url: string; readonly prefix: string }) => Promise<StateStore>;
}
