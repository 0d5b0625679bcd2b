import { describe, expect, it } from 'vitest';
import { DEFAULT_PREFIX, redisKeys } from '../../src/state/redis-keys.js';
import {
  commandClientOptions,
  reconnectDelay,
  redactRedisUrl,
  subscriberClientOptions,
} from '../../src/state/redis-client-options.js';

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
      keys.lease('health'),
      keys.events(),
    ];
    for (const key of all) expect(key.startsWith('edge:')).toBe(true);
    expect(new Set(all).size).toBe(all.length);
  });

  it.each([
    { prefix: 'mooring', node: 'n1' },
    { prefix: 'mooring', node: 'we{ir}d' },
    { prefix: 'app{1}', node: 'n1' },
  ])('keeps the keys of node $node (prefix $prefix) in one slot, apart from other nodes', ({ prefix, node }) => {
    const keys = redisKeys(prefix);
    const tags = [keys.nodeInfo(node), keys.nodeConnections(node), keys.nodeCounts(node)].map(hashTag);
    expect(new Set(tags).size).toBe(1);
    if (!prefix.includes('{')) expect(hashTag(keys.nodeInfo('other'))).not.toBe(tags[0]);
  });

  it('refuses an empty prefix', () => {
    expect(() => redisKeys('')).toThrow(RangeError);
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

  it.each([
    ['redis://:secret@h:6380/2', 'redis://:***@h:6380/2'],
    ['redis://user:secret@h:6380', 'redis://user:***@h:6380'],
    ['redis://h:6380', 'redis://h:6380'],
    ['not a url', '<invalid Redis URL>'],
  ])('redacts %s', (url, expected) => {
    expect(redactRedisUrl(url)).toBe(expected);
  });
});
