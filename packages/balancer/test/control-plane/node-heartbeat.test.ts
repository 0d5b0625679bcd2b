import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConnectionTable } from '../../src/control-plane/connection-table.js';
import { DegradedTracker } from '../../src/control-plane/degraded-tracker.js';
import { NodeHeartbeat } from '../../src/control-plane/node-heartbeat.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { instrumented, nextMacrotask, session, silentLog, useFakeClock, type Instrumented } from './fakes.js';

describe('NodeHeartbeat', () => {
  let memory: MemoryStateStore;
  let fake: Instrumented;
  let table: ConnectionTable;
  let tracker: DegradedTracker;
  let heartbeat: NodeHeartbeat | undefined;
  let recoveries: number;

  const newHeartbeat = (intervalMs = 1_000): NodeHeartbeat => {
    const announce = () => ({ id: 'n1', pid: 7, listen: '0.0.0.0:8080', admin: '127.0.0.1:9090', routable: ['a'] });
    const onRecovered = async (): Promise<void> => void recoveries++;
    const now = (): number => 42;
    heartbeat = new NodeHeartbeat({ store: fake.store, table, tracker, announce, intervalMs, onRecovered, now });
    return heartbeat;
  };
  const nodes = async (): Promise<string[]> => (await memory.listNodes()).map((info) => info.id);
  const published = async (): Promise<string[]> => (await memory.listConnections()).map((record) => record.id);

  beforeEach(() => {
    useFakeClock();
    memory = new MemoryStateStore();
    fake = instrumented(memory);
    table = new ConnectionTable('n1');
    tracker = new DegradedTracker(silentLog());
    recoveries = 0;
  });
  afterEach(() => {
    heartbeat?.destroy();
    vi.useRealTimers();
  });

  it('registers at start, then publishes the table whole once and in 100 ms batches after', async () => {
    table.opened(session('s1'));
    await newHeartbeat().start();
    const entry = { id: 'n1', startedAt: 42, pid: 7, degraded: false, routable: ['a'] };
    expect(await memory.listNodes()).toMatchObject([entry]);
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.count('replaceConnections')).toBe(1);
    table.opened(session('s2'));
    table.closed('s1');
    await vi.advanceTimersByTimeAsync(99);
    expect(await published()).toEqual(['s1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(await published()).toEqual(['s2']);
    expect(fake.count('recordConnections')).toBe(1);
    await vi.advanceTimersByTimeAsync(1_000); // nothing changed: no writes
    expect(fake.count('recordConnections') + fake.count('replaceConnections')).toBe(2);
  });

  it('gives its entry a TTL of three intervals', async () => {
    await newHeartbeat(1_000).start();
    heartbeat!.destroy(); // no further beat
    await vi.advanceTimersByTimeAsync(2_999);
    expect(await nodes()).toEqual(['n1']);
    await vi.advanceTimersByTimeAsync(1);
    expect(await nodes()).toEqual([]);
  });

  it('beats at once when the interval changes, then at the new period; an unchanged one changes nothing', async () => {
    await newHeartbeat(1_000).start();
    await vi.advanceTimersByTimeAsync(500);
    heartbeat!.setInterval(1_000);
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.count('heartbeat')).toBe(1);
    heartbeat!.setInterval(300);
    await vi.advanceTimersByTimeAsync(0);
    expect(fake.count('heartbeat')).toBe(2);
    await vi.advanceTimersByTimeAsync(900);
    expect(fake.count('heartbeat')).toBe(5);
  });

  it('re-publishes the whole table when its entry had expired (a stall past the TTL)', async () => {
    table.opened(session('s1'));
    await newHeartbeat(1_000).start();
    await vi.advanceTimersByTimeAsync(100);
    await memory.removeNode('n1'); // as if the TTL ran out: the table went with the entry
    expect(await published()).toEqual([]);
    await vi.advanceTimersByTimeAsync(900); // the next beat finds no entry
    await vi.advanceTimersByTimeAsync(100);
    expect(fake.count('replaceConnections')).toBe(2);
    expect(await published()).toEqual(['s1']);
  });

  it('after an outage: degraded meanwhile, then the table re-published and onRecovered called once', async () => {
    table.opened(session('s1'));
    await newHeartbeat(1_000).start();
    await vi.advanceTimersByTimeAsync(100);
    fake.failing.add('heartbeat').add('recordConnections').add('replaceConnections');
    table.opened(session('s2'));
    await vi.advanceTimersByTimeAsync(1_000);
    expect(tracker.degraded).toBe(true);
    expect(recoveries).toBe(0);
    expect(await published()).toEqual(['s1']);

    fake.failing.clear();
    await vi.advanceTimersByTimeAsync(800); // flushes go through again, patching
    await memory.replaceConnections('n1', []); // as if Redis lost the table meanwhile
    expect(await published()).toEqual([]);
    await vi.advanceTimersByTimeAsync(100); // the beat ends the outage
    expect(tracker.degraded).toBe(false);
    expect(recoveries).toBe(1);
    await vi.advanceTimersByTimeAsync(100); // and the next flush replaces the table
    expect(await published()).toEqual(['s1', 's2']);
    await vi.advanceTimersByTimeAsync(3_000);
    expect(recoveries).toBe(1);
  });

  it('close() waits for a beat in flight, then leaves the store: no late beat brings the node back', async () => {
    await newHeartbeat(1_000).start();
    let release: () => void = () => {};
    const beat = memory.heartbeat.bind(memory);
    vi.spyOn(memory, 'heartbeat').mockImplementation(async (...args) => {
      await new Promise<void>((resolve) => (release = resolve));
      return beat(...args);
    });
    await vi.advanceTimersByTimeAsync(1_000);
    const closing = heartbeat!.close();
    await nextMacrotask();
    expect(heartbeat!.state).toBe('closing');
    release();
    await closing;
    expect(await nodes()).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
    expect(heartbeat!.close()).toBe(closing); // idempotent
  });

  it('close() during the first beat arms nothing', async () => {
    const starting = newHeartbeat().start();
    await heartbeat!.close();
    await starting;
    expect(vi.getTimerCount()).toBe(0);
    expect(heartbeat!.state).toBe('closed');
  });
});
