import { spawn } from 'node:child_process';
import { TestkitError } from '../errors/testkit-error.js';
import { registerChild, signalChild } from '../process/child-registry.js';
import { waitForExit } from '../process/exit-code.js';
import { MOORING_BIN } from './mooring-bin.js';

/** Outcome of a finished CLI run. */
export interface MooringRunResult {
  /** Exit status (128 + signal number if killed). */
  code: number;
  stdout: string;
  stderr: string;
}

/** Options for {@link runMooring}. */
export interface RunMooringOptions {
  cwd?: string;
  /** Kill the run and reject after this long; default 20 s. */
  timeoutMs?: number;
  /** Written to stdin, which is then closed. */
  input?: string;
  /** Script to run instead of the built CLI (for testing the launcher itself). */
  bin?: string;
}

/**
 * Runs the `mooring` CLI to completion (config errors, operator commands) and
 * resolves with its exit status and output.
 */
export async function runMooring(
  args: string[],
  env: Record<string, string> = {},
  options: RunMooringOptions = {},
): Promise<MooringRunResult> {
  const child = spawn(process.execPath, [options.bin ?? MOORING_BIN, ...args], {
    cwd: options.cwd,
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  registerChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.on('error', () => undefined);
  child.stdin.end(options.input ?? '');
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    signalChild(child, 'SIGKILL');
  }, options.timeoutMs ?? 20_000);
  const spawnFailed = new Promise<never>((_, reject) => child.once('error', reject));
  try {
    const code = await Promise.race([waitForExit(child), spawnFailed]);
    // Output can still be in flight after 'exit'; 'close' marks its end.
    if (child.stdout.readable || child.stderr.readable) await new Promise((resolve) => child.once('close', resolve));
    if (timedOut)
      throw new TestkitError('TESTKIT_ERR_TIMEOUT', `mooring ${args.join(' ')} timed out\n${stdout}${stderr}`);
    return { code, stdout, stderr };
  } finally {
    clearTimeout(timer);
  }
}
