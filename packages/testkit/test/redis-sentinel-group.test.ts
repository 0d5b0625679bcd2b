import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisCli, startRedisSentinelGroup, type RedisSentinelGroup } from '../src/index.js';

describe('startRedisSentinelGroup', () => {
  let group: RedisSentinelGroup;
  beforeAll(async () => {
    group = await startRedisSentinelGroup({ password: 'data-secret', sentinelPassword: 'sentinel-secret' });
  });
  afterAll(async () => {
    await group?.stop();
  });

  it('starts a master, its replica and three sentinels that agree on the master', async () => {
    expect(group.dataPorts).toHaveLength(2);
    expect(group.sentinelPorts).toHaveLength(3);
    expect(await group.masterPort()).toBe(group.dataPorts[0]);
    expect(group.url).toBe(
      `redis+sentinel://:data-secret@${group.sentinelPorts.map((p) => `127.0.0.1:${p}`).join(',')}/mymaster`,
    );
    // The sentinels want their own password.
    expect(await redisCli(group.sentinelPorts[0]!, ['PING'])).toMatch(/NOAUTH/);
  });

  it('promotes the replica when the master dies, and makes the old master a replica when it returns', async () => {
    const [first, second] = group.dataPorts as [number, number];
    await group.kill(first);
    await expect.poll(() => group.masterPort(), { timeout: 15_000, interval: 200 }).toBe(second);
    await group.restart(first);
    expect(await group.waitHealthy()).toBe(second);
    const role = await redisCli(first, ['ROLE'], { password: 'data-secret' });
    expect(role.split('\n')[0]).toBe('slave');
  });
});
