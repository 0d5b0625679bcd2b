import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeControlPlane } from '../../src/control-plane/node-control-plane.js';
import type { WorkerLink } from '../../src/control-plane/worker-link.js';
import { MemoryStateStore } from '../../src/state/memory-state-store.js';
import { backend, config, nextMacrotask, recordingLog, useFakeClock } from './fakes.js';

/** A WorkerLink that keeps every membership it was told, as lists of ids. */
function membershipLink(): { link: WorkerLink; told: string[][] } {
  const told: string[][] = [];
  const link: WorkerLink = {
    broadcastBackends: (backends) => void told.push(backends.map(({ id }) => id)),
    broadcastHealth: () => {},
    broadcastCounts: () => {},
    closeSession: () => {},
  };
  return { link, told };
}

describe('NodeControlPlane after the shared state lost its data', () => {
  const drain = { startedAt: 1, deadlineAt: 9e12, closeRate: 10, closeCode: 1012 };
  let memory: MemoryStateStore;
  let operator: MemoryStateStore;
  let planes: NodeControlPlane[];
  let logs: ReturnType<typeof recordingLog>;

  const startNode = async (nodeId: string): Promise<{ plane: NodeControlPlane; told: string[][] }> => {
    const { link, told } = membershipLink();
    const store = new MemoryStateStore({ shareWith: memory });
    const plane = new NodeControlPlane({ store, config: config({ nodeId }), log: logs.log, workers: link });
    planes.push(plane);
    await plane.start();
    return { plane, told };
  };
  const registered = async (): Promise<string[]> => (await operator.readRegistry()).backends.map(({ id }) => id);

  beforeEach(async () => {
    useFakeClock();
    memory = new MemoryStateStore();
    operator = new MemoryStateStore({ shareWith: memory });
    planes = [];
    logs = recordingLog();
    for (const id of ['r1', 'r2', 'gone']) await operator.putBackend(backend(id));
    await operator.drainBackend('r2', drain);
  });
  afterEach(async () => {
    await Promise.all(planes.map((plane) => plane.close()));
    vi.useRealTimers();
  });

  it('re-seeds registry and drains once for the fleet at the next poll, never routing without them', async () => {
    const [a, b] = [await startNode('a'), await startNode('b')];
    await operator.removeBackend('gone'); // an operator's removal before the loss
    await nextMacrotask();
    expect(a.told.at(-1)).toEqual(['r1', 'r2']);

    memory.clear(); // Redis restarted without persistence
    await vi.advanceTimersByTimeAsync(1_000); // one registry poll (heartbeats re-register meanwhile)
    await nextMacrotask();

    expect(await registered()).toEqual(['r1', 'r2']);
    expect(await operator.readDrains()).toEqual(new Map([['r2', drain]]));
    expect((await operator.readRegistry()).backends.find(({ id }) => id === 'r2')?.state).toBe('draining');
    expect(a.plane.view().reseeds + b.plane.view().reseeds).toBe(1);
    expect(
      logs.lines.filter((line) => /^shared state lost; re-seeded from node [ab]$/.test(String(line.msg))),
    ).toHaveLength(1);
    // Workers were never told a membership without the registered backends.
    for (const { told } of [a, b]) for (const ids of told) expect(ids).toEqual(expect.arrayContaining(['r1', 'r2']));
    for (const { plane } of [a, b]) expect(plane.view().drains).toEqual(new Map([['r2', drain]]));

    // After the recovery an operator's deletion is theirs to keep: nothing brings it back.
    await operator.removeBackend('r1');
    await vi.advanceTimersByTimeAsync(3_000);
    expect(await registered()).toEqual(['r2']);
    expect(a.plane.view().reseeds + b.plane.view().reseeds).toBe(1);
    expect(a.told.at(-1)).toEqual(['r2']);
  });

  it('applies a fresh, empty store it never knew as it is, and marks it', async () => {
    memory.clear();
    const a = await startNode('a');
    expect(a.told).toEqual([[]]);
    expect((await operator.readShared()).marker).toMatchObject({ by: 'a', reseeded: false });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(a.plane.view().reseeds).toBe(0);
  });
});
