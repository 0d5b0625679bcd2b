import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestText, startMooringNode, type LogLine, type MooringNode } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  openSequencedClient,
  startSequencedBackend,
  StreamingLoad,
  type SequencedBackend,
  type SequencedEnd,
} from '../support/sequenced-streams.js';
import { markLog, settle } from '../support/waits.js';

// Worker replacement without closing a WebSocket (issue 16 point 3): on SIGHUP each retiring
// worker hands its plaintext tunnels, file descriptors and state, to the worker replacing it.

/** The worker processes of a node. */
function workerPids(node: MooringNode): number[] {
  const output = execFileSync('ps', ['-o', 'pid=', '--ppid', String(node.pid)], { encoding: 'utf8' });
  return output.trim().split(/\s+/).filter(Boolean).map(Number);
}

/** The process that holds each established client connection of the node (ss reads the kernel). */
function connectionOwners(port: number): number[] {
  const output = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => Number(/pid=(\d+)/.exec(line)?.[1] ?? 0));
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The sum of one metric's samples whose labels contain `filter`, from one scrape. */
async function scrapeSum(node: MooringNode, name: string, filter: string): Promise<number> {
  const text = (await requestText(`${node.adminUrl}/metrics`)).body;
  let total = 0;
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (match?.[1] === name && (match[2] ?? '').includes(filter)) total += Number(match[3]);
  }
  return total;
}

/** Stops the load, lets every end say what it sent, and waits until every end has it all. */
async function finish(load: StreamingLoad, ends: readonly SequencedEnd[]): Promise<void> {
  load.stop();
  for (const end of ends) end.sendFin();
  await expect.poll(() => ends.filter((end) => end.announced === undefined).length, settle).toBe(0);
}

const dir = mkdtempSync(join(tmpdir(), 'mooring-handover-'));
let backends: SequencedBackend[];
beforeAll(async () => {
  backends = await Promise.all([startSequencedBackend(), startSequencedBackend()]);
});
afterAll(async () => {
  await Promise.all(backends.map((backend) => backend.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('SIGHUP hands live WebSockets to the new workers', () => {
  let node: MooringNode;
  beforeAll(async () => {
    // A deadline far beyond the test: an old worker that exits did so because it has nothing left.
    node = await startMooringNode({
      workers: 2,
      args: ['--backend', `h1=${backends[0]!.url}`, '--shutdown-deadline', '120s'],
    });
  });
  afterAll(() => node?.stop());

  it('200 WebSockets streaming both ways: 0 closes, 0 lost or duplicated messages, all held by the new workers, 5 times in a row', async () => {
    const clients = await Promise.all(Array.from({ length: 200 }, () => openSequencedClient(`${node.wsUrl}/`)));
    await expect.poll(() => backends[0]!.ends.length, settle).toBe(200);
    const servers = backends[0]!.ends;
    const load = new StreamingLoad(() => [...clients, ...servers], 100, 1_200);
    try {
      for (let round = 1; round <= 5; round++) {
        const old = workerPids(node);
        const mark = markLog(node);
        const logsFrom = node.logs.length;
        const progress = clients.map((client) => client.expected);
        process.kill(node.pid, 'SIGHUP');
        await mark.next((line) => line.msg === 'reload complete', 30_000);
        // Both old workers are gone long before the 120 s deadline: they kept nothing.
        await expect.poll(() => old.filter(isAlive), { timeout: 15_000 }).toEqual([]);
        // A worker's last lines may still be on their way from the pipe after it exited.
        const handovers = (): LogLine[] =>
          node.logs.slice(logsFrom).filter((line) => line.msg === 'websocket tunnels handed over to the successor');
        await expect.poll(() => handovers().length, settle).toBe(2);
        const handedOver = handovers();
        const owners = connectionOwners(node.port);
        expect(owners, `round ${round}: ${JSON.stringify(handedOver)}`).toHaveLength(200);
        const fresh = new Set(workerPids(node));
        expect(
          owners.every((pid) => fresh.has(pid) && !old.includes(pid)),
          `round ${round}`,
        ).toBe(true);
        expect(handedOver.map((line) => line.kept)).toEqual([0, 0]);
        // Messages still flow both ways through the new workers.
        await expect
          .poll(() => clients.every((client, index) => client.expected > progress[index]! + 2), settle)
          .toBe(true);
      }
      await finish(load, [...clients, ...servers]);
      for (const end of [...clients, ...servers]) {
        expect(end.faults).toEqual([]);
        expect(end.complete).toBe(true);
        expect([end.closes, end.errors.length]).toEqual([0, 0]);
      }
      // The metrics count each message once across the moves (old workers' last samples, the new
      // workers' from where those stopped), and the 200 sessions as live, not as closed.
      const sent = (ends: readonly SequencedEnd[]): number => ends.reduce((sum, end) => sum + end.sent + 1, 0);
      await expect
        .poll(() => scrapeSum(node, 'mooring_websocket_messages_total', 'client_to_backend'), settle)
        .toBe(sent(clients));
      expect(await scrapeSum(node, 'mooring_websocket_messages_total', 'backend_to_client')).toBe(sent(servers));
      expect(await scrapeSum(node, 'mooring_websocket_connections', '')).toBe(200);
      expect(await scrapeSum(node, 'mooring_websocket_closes_total', '')).toBe(0);
      // Each tunnel moved 5 times and is still the session it was: no session ended on the node.
      expect(node.logs.filter((line) => line.msg === 'websocket session ended')).toEqual([]);
      // The new workers know where each frame ends (the trackers' positions came along): a
      // shutdown under load closes every tunnel with a proper close frame between two frames.
      const again = new StreamingLoad(() => [...clients, ...servers], 100, 100);
      await expect.poll(() => clients.every((client) => client.expected > client.announced! + 2), settle).toBe(true);
      expect(await node.stop('SIGTERM', 30_000)).toBe(0);
      again.stop();
      await expect.poll(() => clients.filter((client) => client.closes === 0).length, settle).toBe(0);
      for (const client of clients) expect([client.closeCode, client.errors, client.faults]).toEqual([1012, [], []]);
    } finally {
      load.stop();
      for (const client of clients) client.ws.terminate();
    }
  }, 120_000);
});

describe('handshakes in flight during the SIGHUP', () => {
  it('complete on the old worker and their tunnels move as they open: the old worker exits at once all the same', async () => {
    const slow = await startSequencedBackend({ handshakeDelayMs: 1_500 });
    const node = await startMooringNode({
      workers: 1,
      args: ['--backend', `slow=${slow.url}`, '--shutdown-deadline', '120s', '--handshake-timeout', '10s'],
    });
    try {
      const [old] = workerPids(node);
      const opening = Array.from({ length: 20 }, () => openSequencedClient(`${node.wsUrl}/`));
      // Every upgrade is with the backend, none answered yet, when the worker starts retiring.
      await expect.poll(() => slow.handshakes, settle).toBe(20);
      const mark = markLog(node);
      process.kill(node.pid, 'SIGHUP');
      await mark.next((line) => line.msg === 'reload complete', 30_000);
      const clients = await Promise.all(opening);
      await expect.poll(() => isAlive(old!), { timeout: 15_000 }).toBe(false);
      const owners = connectionOwners(node.port);
      expect(owners).toHaveLength(20);
      expect(owners.every((pid) => pid !== old)).toBe(true);
      const load = new StreamingLoad(() => [...clients, ...slow.ends], 100, 100);
      await expect.poll(() => clients.every((client) => client.expected > 2), settle).toBe(true);
      await finish(load, [...clients, ...slow.ends]);
      for (const end of [...clients, ...slow.ends])
        expect([end.faults, end.complete, end.closes]).toEqual([[], true, 0]);
      for (const client of clients) client.ws.terminate();
    } finally {
      await node.stop();
      await slow.close();
    }
  });
});

describe('a tunnel the new worker cannot take stays with the old one', () => {
  it('refused (its backend is gone from the new configuration): it keeps streaming on the old worker, the others move', async () => {
    const file = join(dir, 'mooring.yaml');
    const both = `backends:\n  - { id: k1, url: "${backends[0]!.url}" }\n  - { id: k2, url: "${backends[1]!.url}" }\n`;
    writeFileSync(file, both);
    const node = await startMooringNode({ workers: 1, args: ['--config', file, '--shutdown-deadline', '120s'] });
    const before = backends.map((backend) => backend.ends.length);
    const clients = await Promise.all(Array.from({ length: 20 }, () => openSequencedClient(`${node.wsUrl}/`)));
    await expect
      .poll(() => backends.reduce((sum, backend, i) => sum + backend.ends.length - before[i]!, 0), settle)
      .toBe(20);
    const servers = backends.flatMap((backend, i) => backend.ends.slice(before[i]));
    const load = new StreamingLoad(() => [...clients, ...servers], 100, 600);
    try {
      const [old] = workerPids(node);
      const mark = markLog(node);
      // A worker-level option changes too, so that the workers are replaced (not updated in place).
      writeFileSync(file, `maxHeaderSize: 20000\nbackends:\n  - { id: k1, url: "${backends[0]!.url}" }\n`);
      process.kill(node.pid, 'SIGHUP');
      const outcome = await mark.next((line) => line.msg === 'websocket tunnels handed over to the successor', 30_000);
      const onK2 = backends[1]!.ends.length - before[1]!;
      expect(onK2).toBeGreaterThan(0);
      expect([outcome.moved, outcome.kept]).toEqual([20 - onK2, onK2]);
      const owners = connectionOwners(node.port);
      expect(owners.filter((pid) => pid === old)).toHaveLength(onK2);
      expect(isAlive(old!)).toBe(true);
      const progress = clients.map((client) => client.expected);
      await expect
        .poll(() => clients.every((client, index) => client.expected > progress[index]! + 2), settle)
        .toBe(true);
      await finish(load, [...clients, ...servers]);
      for (const end of [...clients, ...servers]) expect([end.faults, end.complete, end.closes]).toEqual([[], true, 0]);
    } finally {
      load.stop();
      for (const client of clients) client.ws.terminate();
      await node.stop();
    }
  });
});
