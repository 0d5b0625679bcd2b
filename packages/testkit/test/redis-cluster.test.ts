import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCli, startRedisCluster, type RedisCluster } from '../src/index.js';

describe('startRedisCluster', () => {
  let cluster: RedisCluster;
  beforeAll(async () => {
    cluster = await startRedisCluster({ password: 'cluster-secret' });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('starts 3 masters and 3 replicas on free ports, every slot served', async () => {
    expect(cluster.ports).toHaveLength(6);
    expect(cluster.ports).not.toContain(6379);
    expect(cluster.url).toBe(`redis+cluster://:cluster-secret@${cluster.ports.map((p) => `127.0.0.1:${p}`).join(',')}`);
    expect(await cluster.masters()).toHaveLength(3);
    const replicas = (await cluster.nodes()).filter((node) => node.flags.includes('slave'));
    expect(replicas).toHaveLength(3);
  });

  it('fails a killed master over to its replica, and takes the killed one back as a replica', async () => {
    const master = await cluster.masterOf('some-key');
    const nodes = await cluster.nodes();
    const [replica] = nodes.filter((node) => node.masterId === nodes.find((n) => n.port === master)?.id);
    await cluster.kill(master);
    expect(cluster.isRunning(master)).toBe(false);
    await cluster.waitHealthy();
    const promoted = await cluster.masterOf('some-key');
    expect(promoted).toBe(replica?.port);
    await cluster.restart(master);
    await cluster.waitHealthy();
    const role = await redisCli(master, ['ROLE'], { password: 'cluster-secret' });
    expect(role.split('\n')[0]).toBe('slave');
  });
});
