import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { requestText, startMooringNode, startTestBackend, type MooringNode, type TestBackend } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const secret = 'worker-config-secret-0123456789';
let backend: TestBackend;
let node: MooringNode;
beforeAll(async () => {
  backend = await startTestBackend({ name: 'w1' });
  node = await startMooringNode({
    workers: 2,
    args: ['--backend', `w1=${backend.url}`, '--sticky', 'cookie', '--cookie-secret', secret],
  });
});
afterAll(async () => {
  await node?.stop();
  await backend?.close();
});

/** The pids of a node's worker processes (the primary's children). */
function workerPids(of: MooringNode): number[] {
  return execFileSync('ps', ['-o', 'pid=', '--ppid', String(of.pid)], { encoding: 'utf8' })
    .trim()
    .split(/\s+/)
    .map(Number);
}

/** A process's command line, as the kernel has it. */
const commandLine = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');

describe('workers get their configuration over IPC', () => {
  it('keeps the cookie secret out of every worker environment, and the workers serve with it', async () => {
    const workers = workerPids(node);
    expect(workers).toHaveLength(2);
    for (const pid of workers) {
      const environ = readFileSync(`/proc/${pid}/environ`, 'latin1');
      expect(environ).not.toContain(secret);
      expect(environ).not.toContain('MOORING_WORKER_CONFIG');
    }
    const response = await requestText(`${node.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers['set-cookie']?.[0]).toMatch(/^mooring=v1\./);
  });
});

describe('--worker-semi-space', () => {
  it("starts every worker with V8's semi-space capped (2 MiB by default), the primary untouched", () => {
    for (const pid of workerPids(node)) expect(commandLine(pid)).toContain('--max-semi-space-size=2');
    expect(commandLine(node.pid)).not.toContainEqual(expect.stringMatching(/^--max-semi-space-size/));
  });

  it("leaves V8's own semi-space at --worker-semi-space 0", async () => {
    const other = await startMooringNode({
      workers: 1,
      args: ['--backend', `w1=${backend.url}`, '--worker-semi-space', '0'],
    });
    try {
      const [first] = workerPids(other);
      expect(commandLine(first!)).not.toContainEqual(expect.stringMatching(/^--max-semi-space-size/));
    } finally {
      await other.stop();
    }
  });
});

describe('--worker-old-space-floor', () => {
  it("leaves V8's own old-generation limits by default", () => {
    for (const pid of workerPids(node))
      expect(commandLine(pid)).not.toContainEqual(expect.stringMatching(/^--initial-old-space-size/));
  });

  it('starts every worker with the floor as --initial-old-space-size, the primary untouched', async () => {
    const other = await startMooringNode({
      workers: 2,
      args: ['--backend', `w1=${backend.url}`, '--worker-old-space-floor', '64'],
    });
    try {
      const workers = workerPids(other);
      expect(workers).toHaveLength(2);
      for (const pid of workers) expect(commandLine(pid)).toContain('--initial-old-space-size=64');
      expect(commandLine(other.pid)).not.toContainEqual(expect.stringMatching(/^--initial-old-space-size/));
      expect((await requestText(`${other.url}/`)).status).toBe(200);
    } finally {
      await other.stop();
    }
  });
});
