import { describe, expect, it } from 'vitest';
import { instrumentStore } from '../../src/state/instrumented-store.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import type { StateStore } from '../../src/state/state-store.js';

describe('instrumentStore', () => {
  it('times every operation and says whether it succeeded, passing results and errors through', async () => {
    const seen: Array<[string, boolean]> = [];
    const durations: number[] = [];
    const store = instrumentStore(new MemoryStateStore(), (operation, seconds, ok) => {
      seen.push([operation, ok]);
      durations.push(seconds);
    });
    await store.putBackend({ id: 'a', url: 'http://127.0.0.1:3001', weight: 1, state: 'active' });
    expect((await store.readRegistry()).backends.map((backend) => backend.id)).toEqual(['a']);
    expect(store.available).toBe(true);
    expect(store.reconnects).toBe(0);
    await store.close();
    await expect(store.readRegistry()).rejects.toMatchObject({ code: 'MOORING_ERR_STATE_CLOSED' });
    expect(seen).toEqual([
      ['putBackend', true],
      ['readRegistry', true],
      ['close', true],
      ['readRegistry', false],
    ]);
    expect(durations.every((seconds) => seconds >= 0 && seconds < 5)).toBe(true);
  });

  it('keeps a class with #private fields working through the proxy', async () => {
    class Private {
      readonly #value = 7;
      get value(): number {
        return this.#value;
      }
      async read(): Promise<number> {
        return this.#value;
      }
    }
    const instrumented = instrumentStore(new Private() as unknown as StateStore, () => undefined) as unknown as Private;
    expect(instrumented.value).toBe(7);
    expect(await instrumented.read()).toBe(7);
  });
});
