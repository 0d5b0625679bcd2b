import cluster from 'node:cluster';
import { writeSync } from 'node:fs';
import { runWorker } from '@mooring/balancer';

/*
 * What a worker process of `mooring start` runs (the primary forks it): the process-wide parts
 * (the IPC channel, last-resort handlers, signals) around the library's runWorker.
 */
const worker = runWorker({
  workerId: cluster.worker?.id ?? -1,
  exit: (code) => process.exit(code),
  channel: {
    // The channel is gone only while the primary is dying; nothing useful to do then.
    send: (message) => void (process.connected && process.send?.(message)),
    sendLast: (message) =>
      new Promise((resolve) =>
        process.connected && process.send ? process.send(message, undefined, {}, () => resolve()) : resolve(),
      ),
    sendHandle: (message, handle) =>
      new Promise((resolve, reject) => {
        if (!process.connected || !process.send) return reject(new Error('the channel to the primary is closed'));
        // The handle is a libuv TCP handle: Node sends its file descriptor and leaves ours open.
        process.send(message, handle as unknown as import('node:net').Socket, {}, (err) =>
          err ? reject(err) : resolve(),
        );
      }),
    onMessage: (listener) => {
      process.on('message', listener);
      return () => process.off('message', listener);
    },
  },
});
process.on('uncaughtException', (err) => {
  // A bug must not leave a half-working worker behind: the primary replaces us.
  worker.log?.fatal({ err }, 'uncaught exception in worker, exiting');
  // The logger writes asynchronously and the process ends now: say it on stderr too, synchronously.
  writeSync(2, `mooring worker: uncaught exception: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(70);
});
// The primary orchestrates shutdown; a signal sent to the whole process group is not ours to act on.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => worker.log?.debug({ signal }, 'signal left to the primary'));
}
