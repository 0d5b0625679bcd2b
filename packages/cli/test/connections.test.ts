import { describe, expect, it } from 'vitest';
import { runConnections } from '../src/commands/connections.js';
import { Harness } from './support/harness.js';

async function cluster(): Promise<Harness> {
  const h = new Harness();
  await h.node('node-a');
  await h.node('node-b');
  const start = h.clock.now();
  await h.open('node-b', 'b2', 1, start - 90_000);
  await h.open('node-a', 'b1', 1, start - 3_000);
  h.clock.advance(500);
  return h;
}

describe('connections', () => {
  it('prints the sessions oldest first, with their age', async () => {
    const h = await cluster();
    expect(await runConnections({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe(
      [
        'SESSION                    NODE    WORKER  BACKEND  CLIENT    ROUTE    AGE',
        'node-b-b2-1767268710000-0  node-b  1       b2       10.0.0.1  balance  2m',
        'node-a-b1-1767268797000-0  node-a  1       b1       10.0.0.1  balance  4s',
        '',
      ].join('\n'),
    );
  });

  it('--backend keeps the sessions of one backend; --json adds ageMs to each record', async () => {
    const h = await cluster();
    expect(await runConnections({ backend: 'b1', json: true }, h.deps)).toBe(0);
    const start = h.clock.now() - 500;
    expect(JSON.parse(h.stdout)).toEqual({
      connections: [
        {
          id: `node-a-b1-${start - 3_000}-0`,
          node: 'node-a',
          worker: 1,
          backend: 'b1',
          client: '10.0.0.1',
          route: 'balance',
          startedAt: start - 3_000,
          ageMs: 3_500,
        },
      ],
    });
  });

  it('says so when no session is live', async () => {
    const h = new Harness();
    expect(await runConnections({ json: false }, h.deps)).toBe(0);
    expect(h.stdout).toBe('no live connections\n');
    expect(await runConnections({ json: true }, h.deps)).toBe(0);
    expect(h.stdout).toBe('no live connections\n{\n  "connections": []\n}\n');
  });

  it('through commander: --backend reaches the filter', async () => {
    const h = await cluster();
    const result = await h.cli(['connections', '--backend', 'b2', '--json', '--redis', 'redis://test']);
    expect(result.code).toBe(0);
    expect(JSON.parse(result.out).connections.map((record: { backend: string }) => record.backend)).toEqual(['b2']);
  });
});
