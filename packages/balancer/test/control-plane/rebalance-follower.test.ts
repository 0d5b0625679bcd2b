import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ConnectionRecord } from '../../src/core/session-record.js';
import { RebalanceFollower } from '../../src/control-plane/rebalance-follower.js';
import type { RebalanceEvent } from '../../src/state/state-store.js';

const record = (id: string, worker = 1): ConnectionRecord => ({
  id,
  node: 'n1',
  worker,
  backend: 'b1',
  client: '10.0.0.1',
  route: 'cookie',
  startedAt: 0,
});

const event = (holdMs: number, closes: RebalanceEvent['closes'] = []): RebalanceEvent => ({
  type: 'rebalance',
  holdMs,
  code: 1012,
  closes,
});

describe('RebalanceFollower', () => {
  let closed: { id: string; code: number; at: number }[];
  let holds: boolean[];
  let live: ConnectionRecord[];
  let follower: RebalanceFollower;
  beforeEach(() => {
    vi.useFakeTimers();
    closed = [];
    holds = [];
    live = [record('s1'), record('s2', 2), record('s3')];
    let seed = 0;
    follower = new RebalanceFollower({
      nodeId: 'n1',
      sessions: { records: () => live },
      close: (session, code) => closed.push({ id: session.id, code, at: Date.now() }),
      onHold: (holding) => holds.push(holding),
      random: () => (seed = (seed + 0.37) % 1),
      tickMs: 100,
    });
  });
  afterEach(() => {
    follower.destroy();
    vi.useRealTimers();
  });

  it("closes this node's listed sessions that are still live, jittered within one tick", () => {
    const start = Date.now();
    follower.onEvent(
      event(5_000, [
        { node: 'n1', ids: ['s1', 's3', 'gone'] },
        { node: 'n2', ids: ['s2'] },
      ]),
    );
    expect(follower.pending).toBe(2);
    expect(closed).toEqual([]);
    vi.advanceTimersByTime(100);
    expect(closed.map(({ id, code }) => [id, code]).sort()).toEqual([
      ['s1', 1012],
      ['s3', 1012],
    ]);
    for (const close of closed) expect(close.at - start).toBeLessThan(100);
    expect(new Set(closed.map((close) => close.at)).size).toBe(2);
  });

  it('holds while events keep coming, and lets go when they stop or end', () => {
    follower.onEvent(event(5_000));
    expect([follower.holding, holds]).toEqual([true, [true]]);
    vi.advanceTimersByTime(4_000);
    follower.onEvent(event(5_000));
    vi.advanceTimersByTime(4_000);
    expect([follower.holding, holds]).toEqual([true, [true]]);
    vi.advanceTimersByTime(1_001);
    expect([follower.holding, holds]).toEqual([false, [true, false]]);
    follower.onEvent(event(5_000));
    follower.onEvent(event(0));
    expect([follower.holding, holds]).toEqual([false, [true, false, true, false]]);
  });

  it('close() still asks for what it scheduled; destroy() drops it; neither follows events after', async () => {
    follower.onEvent(event(5_000, [{ node: 'n1', ids: ['s1'] }]));
    const closing = follower.close();
    expect(follower.holding).toBe(false);
    vi.advanceTimersByTime(100);
    await closing;
    expect(closed.map((close) => close.id)).toEqual(['s1']);
    follower.onEvent(event(5_000, [{ node: 'n1', ids: ['s2'] }]));
    vi.advanceTimersByTime(100);
    expect(closed).toHaveLength(1);
    expect(follower.holding).toBe(false);
  });
});
