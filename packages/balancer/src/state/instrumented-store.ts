import type { StateStore } from './state-store.js';

/** Hears the outcome of every store operation: its name, how long it took, whether it succeeded. */
export type StoreObserver = (operation: string, seconds: number, ok: boolean) => void;

/**
 * The store with every operation timed (the state-store latency metric). Methods that return a
 * promise are measured from call to settle; everything else passes straight through.
 */
export function instrumentStore<S extends StateStore>(store: S, observe: StoreObserver): S {
  return new Proxy(store, {
    get(target, property) {
      // The target as receiver: its getters and methods may use #private fields, which a proxy lacks.
      const value = Reflect.get(target, property) as unknown;
      if (typeof value !== 'function' || typeof property !== 'string') return value;
      return (...args: unknown[]) => {
        const startedAt = performance.now();
        const result = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        const done = (ok: boolean) => observe(property, (performance.now() - startedAt) / 1000, ok);
        result.then(
          () => done(true),
          () => done(false),
        );
        return result;
      };
    },
  });
}
