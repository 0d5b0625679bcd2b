import { MemoryStateStore } from '@mooring/balancer';
import { runCli } from '../../src/cli.js';
import type { CommandDeps } from '../../src/command-deps.js';
import type { Harness } from './harness.js';

/**
 * Ctrl-C by hand: keeps what a command registers through `onInterrupt` and calls it when the
 * test says, as the process would on SIGINT.
 */
export class FakeInterrupts {
  readonly #handlers = new Set<() => void>();

  readonly onInterrupt = (handler: () => void): (() => void) => {
    this.#handlers.add(handler);
    return () => void this.#handlers.delete(handler);
  };

  /** Handlers still registered: 0 once a command has removed its own. */
  get listening(): number {
    return this.#handlers.size;
  }

  /** Presses Ctrl-C. */
  fire(): void {
    for (const handler of [...this.#handlers]) handler();
  }
}

/** The harness's deps, on a terminal or a pipe, with Ctrl-C under the test's control. */
export function watchDeps(h: Harness, interrupts: FakeInterrupts, tty: boolean): CommandDeps {
  return { ...h.deps, outIsTTY: tty, onInterrupt: interrupts.onInterrupt };
}

/** Like `h.cli(argv)`, with the terminal and Ctrl-C of {@link watchDeps}. */
export async function watchCli(
  h: Harness,
  interrupts: FakeInterrupts,
  tty: boolean,
  argv: readonly string[],
): Promise<{ code: number; out: string; err: string }> {
  const before = { out: h.stdout.length, err: h.stderr.length };
  const { store: _shared, ...io } = watchDeps(h, interrupts, tty);
  const code = await runCli(argv, {
    ...io,
    openStore: async () => new MemoryStateStore({ shareWith: h.store, now: h.clock.now }),
  });
  return { code, out: h.stdout.slice(before.out), err: h.stderr.slice(before.err) };
}

/** Splits a terminal's output into its screens (each drawn from cursor home). */
export function screens(output: string): string[] {
  return output.split('\x1b[H').slice(1);
}

/** A screen's visible lines: the line and screen erasures dropped. */
export function visibleLines(screen: string): string[] {
  const [erase, eraseBelow] = ['\x1b[K', '\x1b[J'];
  const end = screen.indexOf(eraseBelow);
  return (end === -1 ? screen : screen.slice(0, end))
    .split('\n')
    .slice(0, -1)
    .map((line) => (line.endsWith(erase) ? line.slice(0, -erase.length) : line));
}
