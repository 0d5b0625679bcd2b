import {
  requestText,
  startRedisServer,
  startTestBackend,
  type MooringNode,
  type RedisServerProcess,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCertificateAuthority } from '../support/certificates.js';
import { mooringJson, startSharedNode, uniquePrefix, type SharedRedis } from '../support/redis-cluster-fixture.js';
import { cliOn } from '../support/redis-failover.js';

// rediss:// with --redis-ca: a Redis that speaks TLS only, with a certificate from the test's own
// CA for 127.0.0.1. The node and the CLI trust that CA only when told to.
const prefix = uniquePrefix();
let authority: TestCertificateAuthority;
let server: RedisServerProcess;
let redis: SharedRedis;
let backend: TestBackend;
let node: MooringNode;
beforeAll(async () => {
  authority = new TestCertificateAuthority();
  const certificate = authority.issue('redis', ['127.0.0.1']);
  [server, backend] = await Promise.all([
    startRedisServer({ tls: { certFile: certificate.certFile, keyFile: certificate.keyFile } }),
    startTestBackend({ name: 't1' }),
  ]);
  redis = { url: server.url, flags: ['--redis-ca', authority.caFile] };
});
afterAll(async () => {
  await node?.stop();
  await backend?.close();
  await server?.stop();
  authority?.close();
});

describe('a Redis over TLS (rediss://)', () => {
  it('refuses a certificate from a CA the CLI was not given, and trusts it with --redis-ca', async () => {
    expect(server.url).toMatch(/^rediss:\/\/127\.0\.0\.1:\d+$/);
    const untrusted = await cliOn({ url: server.url }, prefix, ['backend', 'list']);
    expect(untrusted.code).toBe(1);
    expect(untrusted.stderr).toMatch(/cannot connect to Redis at rediss:\/\/127\.0\.0\.1:\d+: .*certificate/i);
    expect((await cliOn(redis, prefix, ['backend', 'add', 't1', backend.url])).code).toBe(0);
  });

  it('serves a node whose registry lives behind TLS', async () => {
    node = await startSharedNode(redis, prefix, 'tls-node', [], 1);
    expect(JSON.parse((await requestText(`${node.url}/`)).body)).toMatchObject({ backend: 't1' });
    const status = await mooringJson<{ nodes: { id: string; degraded: boolean }[] }>(redis, prefix, ['status']);
    expect(status.nodes).toMatchObject([{ id: 'tls-node', degraded: false }]);
  });
});
