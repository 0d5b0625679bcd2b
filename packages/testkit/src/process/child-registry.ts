import type { ChildProcess } from 'node:child_process';

const children = new Set<ChildProcess>();
let exitHookInstalled = false;

/**
 * Registers a spawned child so that it is killed (with its process group when
 * it was spawned detached) if the test process exits without stopping it:
 * a forgotten node or redis-server must not outlive the test run.
 */
export function registerChild(child: ChildProcess, options: { group?: boolean } = {}): void {
  installExitHook();
  children.add(child);
  if (options.group) groupChildren.add(child);
  child.once('exit', () => {
    children.delete(child);
    groupChildren.delete(child);
  });
}

const groupChildren = new Set<ChildProcess>();

/**
 * Sends a signal to the child, or to its whole process group when it was
 * registered with `group` (cluster workers die with their primary).
 */
export function signalChild(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  try {
    if (groupChildren.has(child)) process.kill(-child.pid, signal);
    else child.kill(signal);
  } catch {
    // The process (group) is already gone: nothing left to signal.
  }
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; kill() is, so this runs to completion.
  process.on('exit', () => {
    for (const child of children) signalChild(child, 'SIGKILL');
  });
}
