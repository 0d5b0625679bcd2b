import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { constants } from 'node:os';

/**
 * The exit status as a shell reports it: the exit code, or 128 + signal
 * number when the process was killed by a signal (SIGKILL → 137).
 */
export function exitStatus(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? constants.signals[signal] : 0);
}

/** Resolves with the child's {@link exitStatus}, immediately if it already exited. */
export async function waitForExit(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null || child.signalCode !== null) return exitStatus(child.exitCode, child.signalCode);
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return exitStatus(code, signal);
}
