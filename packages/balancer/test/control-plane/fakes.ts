import { pino, type Logger } from 'pino';
import { vi } from 'vitest';
import { configSchema, type MooringConfig } from '../../src/config/schema.js';
import type { Backend } from '../../src/core/backend.js';
import type { ConnectionRecord } from '../../src/core/session-record.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { StateError } from '../../src/state/state-error.js';
import type { StateStore } from '../../src/state/state-store.js';

/** The names of the store's methods. */
export type Method = Exclude<keyof StateStore, 'available' | 'reconnects'>;

/**
 * A MemoryStateStore that counts calls, and whose chosen methods reject as Redis does when it is
 * down: a fake of the control plane's one dependency, inside this process.
 */
export interface Instrumented {
  readonly store: StateStore;
  /** Calls per method, failed ones included. */
  readonly calls: Map<Method, number>;
  /** Methods that reject now. */
  readonly failing: Set<Method>;
  /** Calls of `method` so far. */
  count(method: Method): number;
}

export function instrumented(inner: MemoryStateStore): Instrumented {
  const calls = new Map<Method, number>();
  const failing = new Set<Method>();
  const store = new Proxy(inner, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== 'function') return value;
      const name = property as Method;
      return (...args: unknown[]) => {
        calls.set(name, (calls.get(name) ?? 0) + 1);
        // As RedisStateStore rejects when Redis is down.
        if (failing.has(name)) return Promise.reject(new StateError('MOORING_ERR_STATE_UNAVAILABLE', `${name}: down`));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store, calls, failing, count: (method) => calls.get(method) ?? 0 };
}

/** A validated config; no backends unless given, so an active check opens no socket. */
export function config(overrides: Partial<Record<keyof MooringConfig, unknown>> = {}): Readonly<MooringConfig> {
  const defaults = { nodeId: 'n1', workers: 1, heartbeatInterval: 1_000, healthInterval: 0 };
  return Object.freeze(configSchema.parse({ ...defaults, ...overrides }));
}

/** A logger that drops everything. */
export const silentLog = (): Logger => pino({ level: 'silent' });

/** A logger that keeps its lines, parsed, for assertions. */
export function recordingLog(): { log: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

export const backend = (id: string, state: Backend['state'] = 'active'): Backend => ({
  id,
  url: `http://127.0.0.1:${9000 + id.length}`,
  weight: 1,
  state,
});

export const session = (id: string, fields: Partial<ConnectionRecord> = {}): ConnectionRecord => ({
  id,
  node: 'n1',
  worker: 1,
  backend: 'a',
  client: '127.0.0.1',
  route: 'balance',
  startedAt: 0,
  ...fields,
});

/** A seeded pseudo-random source (mulberry32): the same jitter on every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Fakes timers and Date; setImmediate and microtasks stay real (the memory store runs on them). */
export function useFakeClock(): void {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
}

/** Lets Node run its end-of-tick work, where it reports unhandled rejections (real, not faked). */
export const nextMacrotask = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
