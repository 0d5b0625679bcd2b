import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeControlPlane } from '../../src/control-plane/node-control-plane.js';
import type { WorkerLink } from '../../src/control-plane/worker-link.js';
import type { MooringConfig } from '../../src/config/schema.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { config, instrumented, nextMacrotask, silentLog, useFakeClock } from './fakes.js';
import type { Instrumented, Method } from './fakes.js';

const noWorkers: WorkerLink = {
  broadcastBackends: () => {},
  broadcastHealth: () => {},
  broadcastCounts: () => {},
  closeSession: () => {},
};

describe('NodeControlPlane', () => {
  let memory: MemoryStateStore;
  let fake: Instrumented;
  let agent: NodeControlPlane | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => void unhandled.push(reason);

  const newAgent = (settings: Readonly<MooringConfig>): NodeControlPlane => {
    agent = new NodeControlPlane({ store: fake.store, config: settings, log: silentLog(), workers: noWorkers });
    return agent;
  };
  const count = (method: Method): number => fake.calls.get(method) ?? 0;

  beforeEach(() => {
    // setImmediate and the microtask queue stay real: the memory store and Node's rejection
    // tracking run on them.
    useFakeClock();
    memory = new MemoryStateStore();
    fake = instrumented(memory);
    unhandled.length = 0;
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    fake.failing.clear();
    await agent?.close();
    agent = undefined;
    process.off('unhandledRejection', onUnhandled);
    vi.useRealTimers();
  });

  describe('a store failure on the health-event path', () => {
    it('turns a passive-failure event into degraded mode, not an unhandled rejection', async () => {
      const node = newAgent(config({ healthInterval: 1_000 }));
      await node.start();
      await vi.advanceTimersByTimeAsync(1_000); // the first check takes the health lease
      const peer = new MemoryStateStore({ shareWith: memory });
      expect(await peer.acquireLease('health', 'n2', 60_000)).toBe(false);
      expect(node.degraded).toBe(false);

      fake.failing.add('writeHealth').add('publish');
      await peer.publish({ type: 'passive-failure', backend: 'a', node: 'n2' });
      // The memory store delivers and answers on microtasks: one macrotask later all of it ran,
      // and Node has reported any rejection left unhandled.
      await nextMacrotask();
      expect(count('writeHealth')).toBe(2);

      expect(unhandled).toEqual([]);
      expect(node.degraded).toBe(true);
    });
  });

  describe('reconfigure (SIGHUP)', () => {
    it('beats at a lowered heartbeat interval, and the old timer is gone', async () => {
      const node = newAgent(config({ heartbeatInterval: 1_000 }));
      await node.start();
      await vi.advanceTimersByTimeAsync(2_000);
      expect(count('heartbeat')).toBe(3); // start, then every second
      const timers = vi.getTimerCount();

      await node.reconfigure(config({ heartbeatInterval: 200 }));
      const reconfigured = count('heartbeat');
      await vi.advanceTimersByTimeAsync(1_000);
      // Five beats of the new timer; the old one would have added a sixth.
      expect(count('heartbeat') - reconfigured).toBe(5);
      expect(vi.getTimerCount()).toBe(timers);
      expect(reconfigured).toBe(4); // one beat at once, with the new TTL
    });

    it('keeps the entry alive when the interval grows past the old TTL', async () => {
      const node = newAgent(config({ heartbeatInterval: 200 }));
      await node.start();
      await node.reconfigure(config({ heartbeatInterval: 1_000 }));
      // The last beat before the reload had a TTL of 600 ms; the next timed one comes at 1 s.
      await vi.advanceTimersByTimeAsync(900);
      expect((await memory.listNodes()).map((info) => info.id)).toEqual(['n1']);
    });

    it('keeps the heartbeat timer (and its phase) when the interval did not change', async () => {
      const node = newAgent(config({ heartbeatInterval: 1_000 }));
      await node.start();
      await vi.advanceTimersByTimeAsync(600);
      await node.reconfigure(config({ heartbeatInterval: 1_000 }));
      await vi.advanceTimersByTimeAsync(400);
      expect(count('heartbeat')).toBe(2);
    });

    it('never overlaps a heartbeat still running across a change of interval', async () => {
      const node = newAgent(config({ heartbeatInterval: 1_000 }));
      await node.start();
      let release: () => void = () => {};
      const heartbeat = memory.heartbeat.bind(memory);
      let inFlight = 0;
      let most = 0;
      vi.spyOn(memory, 'heartbeat').mockImplementation(async (...args) => {
        most = Math.max(most, ++inFlight);
        await new Promise<void>((resolve) => (release = resolve));
        inFlight -= 1;
        return heartbeat(...args);
      });
      await vi.advanceTimersByTimeAsync(1_000); // a beat starts and hangs (slow Redis)
      const reconfigured = node.reconfigure(config({ heartbeatInterval: 200 }));
      await vi.advanceTimersByTimeAsync(1_000); // five ticks find it running
      expect(count('heartbeat')).toBe(2);
      release();
      await reconfigured;
      // The beat asked for by the reconfigure runs once the hanging one is done, not beside it.
      await nextMacrotask();
      expect(count('heartbeat')).toBe(3);
      release();
      expect(most).toBe(1);
    });

    it('turns active health checks on, re-times them, and off (handing the lease on)', async () => {
      const node = newAgent(config({ healthInterval: 0 }));
      await node.start();
      await vi.advanceTimersByTimeAsync(5_000);
      expect(count('acquireLease')).toBe(0);
      const timers = vi.getTimerCount();

      await node.reconfigure(config({ healthInterval: 500 }));
      await vi.advanceTimersByTimeAsync(1_000);
      expect(count('acquireLease')).toBe(3); // at once, then every 500 ms
      expect(vi.getTimerCount()).toBe(timers + 1);

      await node.reconfigure(config({ healthInterval: 2_000 }));
      await vi.advanceTimersByTimeAsync(4_000);
      expect(count('acquireLease')).toBe(6); // at once, then every 2 s
      expect(vi.getTimerCount()).toBe(timers + 1);

      await node.reconfigure(config({ healthInterval: 0 }));
      await vi.advanceTimersByTimeAsync(10_000);
      expect(count('acquireLease')).toBe(6);
      expect(vi.getTimerCount()).toBe(timers);
      // Released, not left to expire: another node can check at once.
      expect(await new MemoryStateStore({ shareWith: memory }).acquireLease('health', 'n2', 60_000)).toBe(true);
    });
  });

  describe('close', () => {
    it('clears every timer, also after timers were re-armed', async () => {
      const node = newAgent(config({ healthInterval: 1_000 }));
      await node.start();
      await node.reconfigure(config({ healthInterval: 300, heartbeatInterval: 100 }));
      expect(vi.getTimerCount()).toBeGreaterThan(0);
      await node.close();
      expect(vi.getTimerCount()).toBe(0);
    });

    it('leaves no timer behind when it comes while start() is still talking to the store', async () => {
      const node = newAgent(config({ healthInterval: 1_000 }));
      const started = node.start();
      await node.close();
      await started;
      expect(vi.getTimerCount()).toBe(0);
    });
  });
});
