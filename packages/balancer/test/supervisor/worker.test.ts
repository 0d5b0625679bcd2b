import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';
import type { PrimaryToWorker, WorkerToPrimary } from '../../src/supervisor/ipc-messages.js';
import { runWorker, type PrimaryChannel } from '../../src/supervisor/worker.js';

/** The primary's end of a worker's IPC channel, in memory. */
function channel(): PrimaryChannel & { sent: WorkerToPrimary[]; deliver(message: unknown): void } {
  const listeners = new Set<(message: unknown) => void>();
  const sent: WorkerToPrimary[] = [];
  return {
    sent,
    send: (message) => void sent.push(message),
    sendLast: async (message) => void sent.push(message),
    sendHandle: async (message) => void sent.push(message),
    onMessage: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    deliver: (message) => listeners.forEach((listener) => listener(message)),
  };
}

const config = loadConfig({ flags: { nodeId: 'unit', workers: '1', logLevel: 'silent', listen: '127.0.0.1:0' } });

describe('runWorker', () => {
  it('asks for its init, ignores broadcasts that come before it, then asks for the state', () => {
    const link = channel();
    const exits: number[] = [];
    runWorker({ channel: link, workerId: 3, exit: (code) => exits.push(code) });
    expect(link.sent).toEqual([{ type: 'ready-for-init' }]);
    // A broadcast to a worker forked a moment ago must not kill it (it used to: exit 70).
    link.deliver({ type: 'counts', total: { a: 1 }, byWorker: { 3: { a: 1 } } } satisfies PrimaryToWorker);
    link.deliver({ type: 'health', unhealthy: [] } satisfies PrimaryToWorker);
    expect(link.sent).toEqual([{ type: 'ready-for-init' }]);
    link.deliver({ type: 'init', config } satisfies PrimaryToWorker);
    expect(link.sent).toEqual([{ type: 'ready-for-init' }, { type: 'ready-for-state' }]);
    expect(exits).toEqual([]);
    link.deliver({ type: 'shutdown', deadlineMs: 0, closeCode: 1012 } satisfies PrimaryToWorker);
  });

  it('exits at once when told to shut down before its init', () => {
    const link = channel();
    const exits: number[] = [];
    runWorker({ channel: link, workerId: 4, exit: (code) => exits.push(code) });
    link.deliver({ type: 'shutdown', deadlineMs: 30_000, closeCode: 1012 } satisfies PrimaryToWorker);
    expect(exits).toEqual([0]);
  });

  it('throws on an init that does not carry a valid configuration', () => {
    const link = channel();
    runWorker({ channel: link, workerId: 5, exit: () => undefined });
    expect(() => link.deliver({ type: 'init', config: { ...config, workers: 'many' } })).toThrow(
      /workers must be a number/,
    );
  });
});
