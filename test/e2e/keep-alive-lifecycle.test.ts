import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestText, startMooringNode, startTestBackend, type TestBackend, type TextResponse } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// A busy keep-alive client must not pin itself to a worker that stopped accepting: once a
// worker retires (SIGHUP) or stops (SIGTERM), every response it sends says `Connection: close`.

let backends: TestBackend[];
let dir: string;
beforeAll(async () => {
  backends = await Promise.all(['k1', 'k2'].map((name) => startTestBackend({ name })));
  dir = mkdtempSync(join(tmpdir(), 'mooring-keep-alive-'));
});
afterAll(async () => {
  await Promise.all((backends ?? []).map((backend) => backend.close()));
  rmSync(dir, { recursive: true, force: true });
});

const backendOf = (response: TextResponse): string => (JSON.parse(response.body) as { backend: string }).backend;

/** A keep-alive client with one connection, as a busy browser tab or SDK holds it. */
function keepAliveClient(url: string): { get(path: string): Promise<TextResponse>; close(): void } {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return { get: (path) => requestText(`${url}${path}`, { agent }), close: () => agent.destroy() };
}

describe('keep-alive clients of a worker that stops accepting', () => {
  it('SIGHUP: a keep-alive client busy during the reload moves to the new workers at its next request', async () => {
    const file = join(dir, 'mooring.yaml');
    writeFileSync(file, `backends:\n  - { id: k1, url: "${backends[0]!.url}" }\n`);
    // The health probes go to the backends' /health, which they do not count among HTTP requests
    // (the default, GET / every 2 s, made this count 3 when a probe fell in between).
    const node = await startMooringNode({
      workers: 1,
      args: ['--config', file, '--shutdown-deadline', '60s', '--health-path', '/health'],
    });
    const client = keepAliveClient(node.url);
    try {
      expect(backendOf(await client.get('/before'))).toBe('k1');
      await backends[0]!.setMode('hold');
      const inFlight = client.get('/in-flight');
      await expect.poll(() => backends[0]!.httpRequests).toBe(2);
      // A worker-level option changes too: new backends alone are applied in place, without new workers.
      writeFileSync(file, `maxHeaderSize: 20000\nbackends:\n  - { id: k2, url: "${backends[1]!.url}" }\n`);
      process.kill(node.pid, 'SIGHUP');
      await node.waitForLog((line) => line.msg === 'reload complete', 20_000);
      // The retired worker hears of it over IPC: wait until it has stopped accepting.
      await node.waitForLog((line) => String(line.msg).startsWith('worker stopping'), 20_000);
      await backends[0]!.setMode('ok');
      const answered = await inFlight;
      expect(backendOf(answered)).toBe('k1');
      expect(answered.headers.connection).toBe('close');
      // Without it the client would stay on the retired worker, on the old configuration, for 60 s.
      expect(backendOf(await client.get('/after'))).toBe('k2');
    } finally {
      client.close();
      await backends[0]!.setMode('ok');
      await node.stop();
    }
  });

  it('SIGTERM: a node with no WebSocket exits at once instead of waiting the deadline for a busy keep-alive client', async () => {
    const node = await startMooringNode({
      workers: 1,
      args: ['--backend', `k1=${backends[0]!.url}`, '--shutdown-deadline', '60s'],
    });
    const client = keepAliveClient(node.url);
    const exited = new Promise<number>((resolve) => node.process.once('exit', (code) => resolve(code ?? -1)));
    try {
      expect((await client.get('/before')).status).toBe(200);
      backends[0]!.resetCounters();
      await backends[0]!.setMode('hold');
      const inFlight = client.get('/in-flight');
      await expect.poll(() => backends[0]!.httpRequests).toBe(1);
      process.kill(node.pid, 'SIGTERM');
      await node.waitForLog((line) => String(line.msg).startsWith('worker stopping'));
      await backends[0]!.setMode('ok');
      expect((await inFlight).headers.connection).toBe('close');
      // The client carries on as a busy one would, for at most 5 s: with `Connection: close` its
      // next request finds no listener, and the node is gone long before its 60 s deadline.
      const until = Date.now() + 5_000;
      let refused = false;
      while (!refused && Date.now() < until)
        refused = await client.get('/next').then(
          () => false,
          () => true,
        );
      expect(refused).toBe(true);
      expect(await exited).toBe(0);
    } finally {
      client.close();
      await backends[0]!.setMode('ok');
      await node.stop();
    }
  });
});
