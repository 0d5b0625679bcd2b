import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PeriodicTask } from '../../src/control-plane/periodic-task.js';
import { nextMacrotask, useFakeClock } from './fakes.js';

/** A task whose runs hang until released, counting how many ran and how many at once. */
function hangingTask(): { task: () => Promise<void>; runs: () => number; most: () => number; release: () => void } {
  let runs = 0;
  let inFlight = 0;
  let most = 0;
  const waiting: Array<() => void> = [];
  const task = async (): Promise<void> => {
    runs++;
    most = Math.max(most, ++inFlight);
    await new Promise<void>((resolve) => waiting.push(resolve));
    inFlight--;
  };
  return { task, runs: () => runs, most: () => most, release: () => waiting.shift()?.() };
}

describe('PeriodicTask', () => {
  let task: PeriodicTask | undefined;
  beforeEach(useFakeClock);
  afterEach(() => {
    task?.destroy();
    vi.useRealTimers();
  });

  it('runs every period, keeps its timer and phase when the period is unchanged, and stops at 0', async () => {
    let runs = 0;
    task = new PeriodicTask(async () => void runs++);
    expect(task.every(1_000)).toBe(true);
    await vi.advanceTimersByTimeAsync(600);
    expect(task.every(1_000)).toBe(false);
    await vi.advanceTimersByTimeAsync(400);
    expect(runs).toBe(1);
    expect(task.every(0)).toBe(true);
    expect(task.state).toBe('idle');
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('skips ticks that find a run in progress, and coalesces runNow() requests into one later run', async () => {
    const hanging = hangingTask();
    task = new PeriodicTask(hanging.task);
    task.every(100);
    await vi.advanceTimersByTimeAsync(100);
    expect(hanging.runs()).toBe(1);
    await vi.advanceTimersByTimeAsync(500); // five ticks find it running
    const later = Promise.all([task.runNow(), task.runNow()]);
    expect(hanging.runs()).toBe(1);
    hanging.release();
    await nextMacrotask();
    expect(hanging.runs()).toBe(2); // the one requested run, after the first
    hanging.release();
    await later;
    expect(hanging.most()).toBe(1);
  });

  it('close() waits for the run in flight and leaves no timer; runs asked for later do not happen', async () => {
    const hanging = hangingTask();
    task = new PeriodicTask(hanging.task);
    task.every(100);
    await vi.advanceTimersByTimeAsync(100);
    let closed = false;
    const closing = task.close().then(() => (closed = true));
    await nextMacrotask();
    expect(closed).toBe(false);
    expect(vi.getTimerCount()).toBe(0);
    hanging.release();
    await closing;
    await task.runNow();
    expect(task.every(100)).toBe(false);
    expect(hanging.runs()).toBe(1);
    expect(task.state).toBe('closed');
  });

  it('destroy() stops at once, without waiting for the run in flight', async () => {
    const hanging = hangingTask();
    task = new PeriodicTask(hanging.task);
    void task.runNow();
    task.every(100);
    task.destroy();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(hanging.runs()).toBe(1);
    expect(vi.getTimerCount()).toBe(0);
    hanging.release();
  });
});
