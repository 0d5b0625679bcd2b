import { spawn } from 'node:child_process';
import {
  MOORING_BIN,
  registerChild,
  runMooring,
  signalChild,
  waitForExit,
  type RedisServerProcess,
} from '@mooring/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startRedisServer, uniquePrefix } from '../support/redis-cluster-fixture.js';
import { settle, within } from '../support/waits.js';

let redis: RedisServerProcess;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.stop();
});

it('refreshes into a pipe, rides out a Redis restart, and exits 0 on SIGINT', async () => {
  const prefix = uniquePrefix();
  const state = ['--redis', redis.url, '--prefix', prefix];
  expect((await runMooring(['backend', 'add', 'b1', 'http://127.0.0.1:3001', ...state])).code).toBe(0);
  const child = spawn(process.execPath, [MOORING_BIN, 'status', '--watch', '--interval', '200ms', ...state], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  registerChild(child);
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = waitForExit(child);
  try {
    // Two refreshes in the plain form: a pipe is not a terminal.
    const twoFrames =
      /^status at \S+\ncluster: ok, 0 node\(s\), 1 backend\(s\)\n[\s\S]*\n\nstatus at \S+\ncluster: ok/m;
    await expect.poll(() => stdout, settle).toMatch(twoFrames);
    expect(stdout).not.toContain('\x1b');

    await redis.stop();
    await expect.poll(() => stdout, settle).toMatch(/^shared state unreachable since \d\d:\d\d:\d\d UTC/m);
    await redis.restart();
    // The restarted Redis keeps nothing (no persistence): the next view is of an empty cluster.
    const sinceOutage = () => stdout.slice(stdout.lastIndexOf('shared state unreachable'));
    await expect.poll(sinceOutage, settle).toMatch(/\n\nstatus at \S+\ncluster: ok, 0 node\(s\), 0 backend\(s\)\n/);

    signalChild(child, 'SIGINT');
    expect(await within(exited, 5_000, 'exit after SIGINT')).toBe(0);
    expect(stderr).toBe('');
  } finally {
    signalChild(child, 'SIGKILL');
  }
});
