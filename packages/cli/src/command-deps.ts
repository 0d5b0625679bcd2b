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
  /**
   * Waits between polls (drain --wait, remove --drain, rollout, status --watch); a fake one advances
   * a fake clock. An aborted `signal` ends the wait early, so Ctrl-C does not wait out an interval.
   */
  readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Whether `out` is a terminal: `status --watch` redraws in place there, and prints plain text to a pipe. */
  readonly outIsTTY?: boolean;
  /**
   * Calls `handler` on Ctrl-C (SIGINT) or SIGTERM instead of the default exit, until the returned
   * remover is called. Only a command that runs until stopped (`status --watch`) asks; the others
   * keep the default, so Ctrl-C still ends them at once. Absent: never called (tests stop by hand).
   */
  readonly onInterrupt?: (handler: () => void) => () => void;
}

/**
 * What `runCli` needs to run any operator command: the command's deps without a store, and how
 * to open one from `--redis`/`--prefix` (each command opens its own and closes it when done).
 */
export interface CliDeps extends Omit<CommandDeps, 'store'> {
  readonly openStore: (where: { readonly url: string; readonly prefix: string }) => Promise<StateStore>;
}
