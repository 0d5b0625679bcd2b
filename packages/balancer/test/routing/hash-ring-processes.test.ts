import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { text } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import type { Backend } from '../../src/core/backend.js';
import { HashRing } from '../../src/routing/hash-ring.js';
import { backends, mappingDigest, seededKeys, walkDigest } from '../fixtures/routing-keys.js';

// The child runs the compiled ring (`tsc -b packages/balancer`, which `pnpm test` does first):
// Node 20 cannot run the TypeScript source itself. The digest is compared with this process's
// mapping as well, so a stale dist fails the test instead of passing it.
const childScript = fileURLToPath(new URL('../fixtures/map-keys.mjs', import.meta.url));
const compiledRing = new URL('../../dist/routing/hash-ring.js', import.meta.url);

interface ChildResult {
  pid: number;
  count: number;
  digest: string;
  /** Digest of every key's walk: the failover order. */
  walks: string;
}

async function mapInChild(members: readonly Backend[], keys: readonly string[]): Promise<ChildResult> {
  const child = spawn(process.execPath, [childScript], { stdio: ['pipe', 'pipe', 'inherit'] });
  const output = text(child.stdout);
  child.stdin.end(JSON.stringify({ backends: members, keys }));
  const [code] = (await once(child, 'exit', { signal: AbortSignal.timeout(10_000) })) as [number | null];
  expect(code).toBe(0);
  return JSON.parse(await output) as ChildResult;
}

describe('hash ring across processes', () => {
  it('maps 10,000 keys identically in two processes given the backends in different orders', async () => {
    expect(existsSync(compiledRing), 'build first: npx tsc -b packages/balancer').toBe(true);
    // Drawn at random on every run, on purpose: the processes must agree on any keys.
    const keys = Array.from({ length: 10_000 }, () => `${Math.random().toString(36).slice(2)}:${Math.random() * 1e9}`);
    const five = backends('chat-1', 'chat-2', ['chat-3', 2], 'chat-4', 'chat-5');
    const shuffled = [five[3]!, five[0]!, five[4]!, five[2]!, five[1]!];

    const [first, second] = await Promise.all([mapInChild(five, keys), mapInChild(shuffled, keys)]);

    expect(first.pid).not.toBe(second.pid);
    expect(first.pid).not.toBe(process.pid);
    expect(first.count).toBe(10_000);
    expect(second.digest).toBe(first.digest);
    expect(second.walks).toBe(first.walks);
    const here = HashRing.build([...five].reverse());
    expect(mappingDigest(here, keys)).toBe(first.digest);
    expect(walkDigest(here, keys)).toBe(first.walks);
  });

  it('walks 300 backends in the same failover order in two processes given them in different orders', async () => {
    const keys = seededKeys(2_000, 7);
    const members = backends(...Array.from({ length: 300 }, (_, i): [string, number] => [`b-${i}`, 1 + (i % 3)]));
    const shuffled = [...members].sort((a, b) => (a.url < b.url ? 1 : -1));
    const [first, second] = await Promise.all([mapInChild(members, keys), mapInChild(shuffled, keys)]);
    expect(second.digest).toBe(first.digest);
    expect(second.walks).toBe(first.walks);
    expect(walkDigest(HashRing.build(members), keys)).toBe(first.walks);
  });

  it('agrees with the pinned seeded keys too', async () => {
    const keys = seededKeys(10_000);
    const members = backends('a', 'b', 'c');
    const result = await mapInChild(members, keys);
    expect(result.digest).toBe(mappingDigest(HashRing.build(members), keys));
    expect(result.walks).toBe(walkDigest(HashRing.build(members), keys));
  });
});
