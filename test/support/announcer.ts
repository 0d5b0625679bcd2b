import { spawn, type ChildProcess } from 'node:child_process';
import { MOORING_BIN, registerChild, signalChild, waitForExit } from '@mooring/testkit';
import { within } from './waits.js';

/** A running `mooring backend announce`, with what it printed so far. */
export interface Announcer {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout holds `text` (what it printed before counts too). */
  printed(text: string, timeoutMs?: number): Promise<void>;
  /** Sends `signal`; resolves with the exit status (128 + n when killed by signal n). */
  stop(signal: NodeJS.Signals, timeoutMs?: number): Promise<number>;
}

/** Starts `mooring backend announce …args` and resolves once it says it announced (or exits first). */
export async function startAnnouncer(args: readonly string[]): Promise<Announcer> {
  const child = spawn(process.execPath, [MOORING_BIN, 'backend', 'announce', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  const wake = (): void => waiters.forEach((waiter) => waiter());
  child.stdout.on('data', (chunk: Buffer) => ((out += chunk.toString()), wake()));
  child.stderr.on('data', (chunk: Buffer) => ((err += chunk.toString()), wake()));
  const exited = waitForExit(child);
  const announcer: Announcer = {
    child,
    stdout: () => out,
    stderr: () => err,
    printed(text, timeoutMs = 10_000) {
      const seen = new Promise<void>((resolve, reject) => {
        const check = (): void => {
          if (out.includes(text)) resolve();
          else if (child.exitCode !== null) reject(new Error(`announcer exited: ${out}${err}`));
        };
        waiters.add(check);
        void exited.then(check);
        check();
      });
      return within(seen, timeoutMs, `announcer printing ${JSON.stringify(text)}`);
    },
    async stop(signal, timeoutMs = 15_000) {
      signalChild(child, signal);
      return within(exited, timeoutMs, `announcer exit after ${signal}`);
    },
  };
  await announcer.printed('announced ');
  return announcer;
}
