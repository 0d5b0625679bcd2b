import type { EventEmitter } from 'node:events';

/** Removes the listener it was returned for. */
export type Unsubscribe = () => void;

/**
 * Adds a listener to a shared emitter (`cluster`, `process`, a worker) and returns its remover,
 * so that whoever adds a listener can take it away again when it closes.
 */
export function listen<A extends unknown[]>(
  emitter: EventEmitter,
  event: string,
  listener: (...args: A) => void,
): Unsubscribe {
  const handler = listener as (...args: unknown[]) => void;
  emitter.on(event, handler);
  return () => void emitter.off(event, handler);
}
