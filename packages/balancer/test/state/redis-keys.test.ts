import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFIX, legacyKeys, redisKeys } from '../../src/state/redis-keys.js';
import { commandClientOptions, reconnectDelay, subscriberClientOptions } from '../../src/state/redis-client-options.js';

/** The hash tag Redis Cluster hashes (its spec, "Hash tags"): between the first `{` and the next `}`, if any. */
function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open < 0 ? -1 : key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : key;
}

describe('redisKeys', () => {
  it('names the contract keys under the default prefix', () => {
    const keys = redisKeys();
    expect(keys.prefix).toBe(DEFAULT_PREFIX);
    expect(keys.backends()).toBe('mooring:backends');
    expect(keys.events()).toBe('mooring:events');
  });

  it('puts every key under the prefix', () => {
    const keys = redisKeys('edge');
    const all = [
      keys.backends(),
      keys.nodes(),
      keys.nodeInfo('n1'),
      keys.nodeConnections('n1'),
      keys.nodeCounts('n1'),
      keys.health(),
      keys.drains(),
      keys.lease('health'),
      keys.marker(),
      keys.events(),
    ];
    for (const key of all) expect(key.includes('edge:')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it('tags every cluster-wide key with the name of the registry, which is the registry’s own slot', () => {
    const keys = redisKeys('edge');
    expect([keys.drains(), keys.health(), keys.nodes(), keys.lease('reseed'), keys.marker()]).toEqual([
      '{edge:backends}:drains',
      '{edge:backends}:health',
      '{edge:backends}:nodes',
      '{edge:backends}:lease:reseed',
      '{edge:backends}:marker',
    ]);
    const global = [keys.backends(), keys.drains(), keys.health(), keys.nodes(), keys.lease('health'), keys.marker()];
    expect(new Set(global.map(hashTag))).toEqual(new Set(['edge:backends']));
  });

  it.each([
    { prefix: 'mooring', node: 'n1' },
    { prefix: 'mooring', node: 'we{ir}d' },
    { prefix: 'mooring', node: 'a}b' },
  ])('keeps the keys of node $node (prefix $prefix) in one slot, apart from other nodes', ({ prefix, node }) => {
    const keys = redisKeys(prefix);
    const tags = [keys.nodeInfo(node), keys.nodeConnections(node), keys.nodeCounts(node)].map(hashTag);
    expect(new Set(tags).size).toBe(1);
    expect(hashTag(keys.nodeInfo('other'))).not.toBe(tags[0]);
    expect(tags[0]).not.toBe(hashTag(keys.backends()));
  });

  it.each(['', 'app{1}', 'a}b'])('refuses the prefix %j', (prefix) => {
    expect(() => redisKeys(prefix)).toThrow(RangeError);
  });

  it('names the keys of the layout before Redis Cluster support, for their one-time move', () => {
    expect(legacyKeys('edge')).toEqual({ drains: 'edge:drains', health: 'edge:health' });
  });
});

describe('Redis client options', () => {
  it.each([
    [1, 50],
    [2, 100],
    [3, 200],
    [6, 1600],
    [7, 2000],
    [1000, 2000],
  ])('reconnect attempt %i waits %i ms, forever', (attempt, delay) => {
    expect(reconnectDelay(attempt)).toBe(delay);
  });

  it('fails fast on the command client and resubscribes on the subscriber', () => {
    expect(commandClientOptions()).toMatchObject({
      enableOfflineQueue: false,
      commandTimeout: 500,
      maxRetriesPerRequest: 1,
      lazyConnect: true,
    });
    expect(commandClientOptions({ commandTimeoutMs: 200 }).commandTimeout).toBe(200);
    expect(subscriberClientOptions()).toMatchObject({
      enableOfflineQueue: false,
      autoResubscribe: true,
      lazyConnect: true,
    });
  });
});
