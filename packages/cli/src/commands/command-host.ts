import type { CliDeps, CommandDeps } from '../command-deps.js';
import { withStore, type StateOptions } from './state-options.js';

/** A command's work once its arguments are checked: everything it touches comes in `deps`. */
export type OperatorRun = (deps: CommandDeps) => Promise<number>;

/**
 * What commander actions hand their work to. Actions check their arguments first (a bad one
 * exits 2 before Redis is contacted), then ask the host to open the store and run; the host
 * keeps the exit code, since commander discards what an action returns.
 */
export class CommandHost {
  readonly #deps: CliDeps;
  #exitCode = 0;

  constructor(deps: CliDeps) {
    this.#deps = deps;
  }

  /** The exit code of the command that ran; 0 when none did (help, version). */
  get exitCode(): number {
    return this.#exitCode;
  }

  /** Opens the store named by `options`, runs the command with it, and closes it. */
  async run(options: StateOptions, command: OperatorRun): Promise<void> {
    const { openStore, ...io } = this.#deps;
    this.#exitCode = await withStore(options, openStore, (store) => command({ ...io, store }));
  }
}
