import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort, runMooring } from '@mooring/testkit';
import { describe, expect, it } from 'vitest';

// The `--redis` URL forms and their options as an operator meets them: refused with exit 2 and
// one line naming the field, by `mooring start` and by every operator command, before anything
// is contacted, and never with the password in it. No Redis is needed: nothing gets that far.
const dir = mkdtempSync(join(tmpdir(), 'mooring-redis-urls-'));
const secret = 'hunter2-9f3a';
const configFile = (text: string): string => {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(path, text);
  return path;
};

describe('mooring start with a bad Redis option', () => {
  it.each([
    [
      'a sentinel URL without its master',
      ['--redis', 'redis+sentinel://127.0.0.1:26379'],
      {},
      'redis (--redis, MOORING_REDIS): redis+sentinel:// needs the master name as its path',
    ],
    [
      'a port out of range, with a password',
      ['--redis', `redis://app:${secret}@127.0.0.1:99999`],
      {},
      'redis (--redis, MOORING_REDIS): expected a port from 1 to 65535',
    ],
    [
      'no scheme, from the environment',
      [],
      { MOORING_REDIS: '127.0.0.1:6379' },
      'redis (--redis, MOORING_REDIS): expected a redis:// URL',
    ],
    [
      'a cluster URL with a database, from the file',
      ['--config', configFile('redis: redis+cluster://127.0.0.1:7000/1\n')],
      {},
      'redis (--redis, MOORING_REDIS): redis+cluster:// takes no path',
    ],
    [
      'a CA for a Redis without TLS',
      ['--redis', 'redis://127.0.0.1:6390', '--redis-ca', '/etc/ssl/certs/ca-certificates.crt'],
      {},
      'redisCa (--redis-ca, MOORING_REDIS_CA): redisCa needs a rediss:// Redis URL (TLS)',
    ],
    [
      'a sentinel password without sentinels',
      ['--redis', 'redis+cluster://127.0.0.1:7000', '--redis-sentinel-password', secret],
      {},
      'redisSentinelPassword (--redis-sentinel-password, MOORING_REDIS_SENTINEL_PASSWORD): redisSentinelPassword needs',
    ],
    [
      'an unreadable CA file',
      ['--redis', 'rediss://127.0.0.1:6390', '--redis-ca', join(dir, 'missing.pem')],
      {},
      'redisCa (--redis-ca, MOORING_REDIS_CA): cannot read',
    ],
  ])('%s: exit 2, one line naming the field, no password', async (_what, args, env, message) => {
    const result = await runMooring(['start', '--listen', '127.0.0.1:0', '--admin', '127.0.0.1:0', ...args], env);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`mooring: invalid configuration: ${message}`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr + result.stdout).not.toContain(secret);
  });
});

describe('operator commands with a bad Redis option', () => {
  it.each([
    [['--redis', 'redis+sentinel://127.0.0.1:26379/'], '--redis: redis+sentinel:// needs the master name'],
    [['--redis', `redis+cluster://:${secret}@127.0.0.1:7000/0`], '--redis: redis+cluster:// takes no path'],
    [['--redis', `rediss://:${secret}@h:0`], `--redis: expected a port from 1 to 65535 in the Redis URL`],
    [['--redis', 'redis://127.0.0.1:6390', '--redis-ca', join(dir, 'x.pem')], '--redis-ca needs a rediss:// Redis URL'],
    [['--redis', 'rediss://127.0.0.1:6390', '--redis-ca', join(dir, 'missing.pem')], '--redis-ca: cannot read'],
    [
      ['--redis', 'redis://127.0.0.1:6390', '--redis-sentinel-password', secret],
      '--redis-sentinel-password needs a redis+sentinel:// Redis URL',
    ],
  ])('backend list %j: exit 2 before contacting anything', async (args, message) => {
    const result = await runMooring(['backend', 'list', ...args]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`mooring: ${message}`);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toContain(secret);
  });

  it('exits 1 naming an unreachable cluster by its seeds, with the password hidden', async () => {
    const [p1, p2] = [await findFreePort(), await findFreePort()];
    const url = `redis+cluster://app:${secret}@127.0.0.1:${p1},127.0.0.1:${p2}`;
    const result = await runMooring(['status', '--redis', url]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      `cannot connect to Redis at redis+cluster://app:***@127.0.0.1:${p1},127.0.0.1:${p2}`,
    );
    expect(result.stderr).not.toContain(secret);
  });
});
