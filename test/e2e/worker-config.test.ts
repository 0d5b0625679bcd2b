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

describe('workers get their configuration over IPC', () => {
  it('keeps the cookie secret out of every worker environment, and the workers serve with it', async () => {
    const workers = execFileSync('ps', ['-o', 'pid=', '--ppid', String(node.pid)], { encoding: 'utf8' })
      .trim()
      .split(/\s+/)
      .map(Number);
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
