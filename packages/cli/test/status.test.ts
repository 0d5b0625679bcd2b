import { describe, expect, it } from 'vitest';
import { runStatus } from '../src/commands/status.js';
import { Harness } from './support/harness.js';

describe('status', () => {
  it('prints the cluster line, the nodes with heartbeat age, then the backend table', async () => {
    const h = new Harness();
    await h.backends('b1');
    await h.node('node-b', { degraded: true });
    h.clock.advance(1_500);
    await h.node('node-a');
    h.clock.advance(500);
    expect(await runStatus({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe(
      [
        'cluster: degraded, 2 node(s), 1 backend(s)',
        '',
        'NODE    LISTEN       ADMIN        PID   HEARTBEAT  STATE',
        'node-a  node-a:8080  node-a:9090  4006  500ms ago  ok',
        'node-b  node-b:8080  node-b:9090  4006  2s ago     degraded',
        '',
        'ID  URL                    WEIGHT  STATE   HEALTH   LIVE  PER NODE',
        'b1  http://127.0.0.1:3001  1       active  unknown  0     -',
        '',
      ].join('\n'),
    );
  });

  it('--json: degraded flag, nodes sorted by id with heartbeat age, and the backend rows', async () => {
    const h = new Harness();
    await h.backends('b1');
    const startedAt = h.clock.now();
    await h.node('node-b');
    await h.node('node-a');
    h.clock.advance(250);
    expect(await runStatus({ json: true }, h.deps)).toBe(0);
    const node = (id: string) => ({
      id,
      listen: `${id}:8080`,
      admin: `${id}:9090`,
      pid: 4006,
      degraded: false,
      startedAt,
    });
    expect(JSON.parse(h.stdout)).toEqual({
      degraded: false,
      nodes: [
        { ...node('node-a'), heartbeatAgeMs: 250 },
        { ...node('node-b'), heartbeatAgeMs: 250 },
      ],
      backends: [
        {
          id: 'b1',
          url: 'http://127.0.0.1:3001',
          weight: 1,
          state: 'active',
          health: 'unknown',
          live: 0,
          liveByNode: {},
        },
      ],
    });
    // Key order is part of the stable shape.
    expect(Object.keys(JSON.parse(h.stdout).nodes[0])).toEqual([
      'id',
      'listen',
      'admin',
      'pid',
      'degraded',
      'startedAt',
      'heartbeatAgeMs',
    ]);
  });

  it('says so when no node is running and nothing is registered', async () => {
    const h = new Harness();
    expect(await runStatus({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe('cluster: ok, 0 node(s), 0 backend(s)\n\nno nodes running\n\nno backends registered\n');
  });
});
