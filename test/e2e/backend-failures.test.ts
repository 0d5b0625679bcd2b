import { Redis } from 'ioredis';
import {
  openRecordingClient,
  requestText,
  startTestBackend,
  type MooringNode,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../support/fleet.js';
import { startRedisServer, startSharedNode, uniquePrefix } from '../support/redis-cluster-fixture.js';

const backendOf = (body: string): string => (JSON.parse(body) as { backend: string }).backend;

describe('a backend that fails a WebSocket handshake before answering it', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ workers: 1, backendCount: 2, args: ['--balance', 'round-robin'] });
  });
  afterAll(() => fleet?.close());

  it.each(['reset', 'drop'] as const)(
    'hands the handshake to the next candidate when the backend %ss it',
    async (mode) => {
      await fleet.backend('b1').setMode(mode);
      try {
        for (let i = 0; i < 4; i++) {
          const client = await openRecordingClient(`${fleet.node.wsUrl}/inflight-${mode}-${i}`);
          expect(client.upgradeHeaders['x-backend']).toBe('b2');
          expect(await client.request('ping')).toBe('ping');
          await client.close();
        }
        await fleet.node.waitForLog(
          (line) =>
            line.msg === 'backend failed during the websocket handshake, trying the next' && line.backend === 'b1',
        );
        await fleet.node.waitForLog(
          (line) => line.msg === 'websocket session ended' && line.route === 'failover' && line.backend === 'b2',
        );
      } finally {
        await fleet.backend('b1').setMode('ok');
      }
    },
  );

  it('fails an idempotent GET over in the same position', async () => {
    await fleet.backend('b1').setMode('drop');
    try {
      for (let i = 0; i < 4; i++) {
        const response = await requestText(`${fleet.node.url}/inflight-get-${i}`);
        expect(response.status).toBe(200);
        expect(backendOf(response.body)).toBe('b2');
      }
    } finally {
      await fleet.backend('b1').setMode('ok');
    }
  });
});

describe('a registered backend whose name does not resolve', () => {
  // 64 characters: longer than a DNS label may be (RFC 1035 §2.3.4), so the resolver refuses it
  // on this machine and no query leaves it; `.invalid` (RFC 6761) could never resolve anyway.
  const unresolvable = `http://${'u'.repeat(64)}.invalid:8080`;
  const prefix = uniquePrefix();
  let redis: RedisServerProcess;
  let raw: Redis;
  let good: TestBackend;
  let node: MooringNode;
  beforeAll(async () => {
    redis = await startRedisServer();
    raw = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
    raw.on('error', () => {});
    await raw.connect();
    good = await startTestBackend({ name: 'good' });
    await raw.hset(`${prefix}:backends`, 'a-nowhere', unresolvable, 'b-good', good.url);
    node = await startSharedNode(redis, prefix, 'dns-node', ['--balance', 'round-robin', '--health-interval', '0'], 1);
  });
  afterAll(async () => {
    await node?.stop();
    raw?.disconnect();
    await good?.close();
    await redis?.stop();
  });

  it('counts as a connect failure: HTTP fails over and the backend is passed over afterwards', async () => {
    for (let i = 0; i < 10; i++) {
      const response = await requestText(`${node.url}/dns-${i}`);
      expect(response.status).toBe(200);
      expect(backendOf(response.body)).toBe('good');
    }
    const failures = node.logs.filter(
      (line) => line.msg === 'backend refused a request' && line.backend === 'a-nowhere',
    );
    expect((failures[0]?.err as { code?: string } | undefined)?.code).toBe('ENOTFOUND');
    // Passed over after its first failure (for 1 s, doubling): round-robin alone would try it 5 times.
    expect(failures.length).toBeLessThanOrEqual(2);
  });

  it('counts as a connect failure for a WebSocket handshake too', async () => {
    for (let i = 0; i < 4; i++) {
      const client = await openRecordingClient(`${node.wsUrl}/dns-ws-${i}`);
      expect(client.upgradeHeaders['x-backend']).toBe('good');
      await client.close();
    }
  });
});
