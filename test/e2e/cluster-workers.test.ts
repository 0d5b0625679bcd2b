import { openRecordingClient, requestText, type RecordingClient } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../support/fleet.js';
import { establishedConnections } from '../support/tcp-sockets.js';
import { execFileSync } from 'node:child_process';

// Round-robin scheduling guarantees both workers hold connections, which this test needs.
let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ workers: 2, args: ['--scheduling', 'rr'] });
});
afterAll(() => fleet?.close());

/** The worker pid owning each client connection to the proxy port, from the kernel (ss -p). */
function ownerPids(port: number): number[] {
  const output = execFileSync('ss', ['-Htnp', 'state', 'established', `( sport = :${port} )`], { encoding: 'utf8' });
  return [...output.matchAll(/pid=(\d+)/g)].map((match) => Number(match[1]));
}

describe('the cluster', () => {
  it('forks the configured workers, and the primary does not proxy', async () => {
    const ready = fleet.node.logs.filter((line) => line.msg === 'worker ready');
    expect(ready).toHaveLength(2);
    expect(new Set(ready.map((line) => line.workerPid)).size).toBe(2);
    const clients = await Promise.all(Array.from({ length: 8 }, () => openRecordingClient(`${fleet.node.wsUrl}/`)));
    const owners = ownerPids(fleet.node.port);
    expect(owners).toHaveLength(8);
    expect(owners).not.toContain(fleet.node.pid);
    expect(new Set(owners)).toEqual(new Set(ready.map((line) => line.workerPid)));
    await Promise.all(clients.map((client) => client.close()));
  });

  it('replaces a worker that dies and leaves the other worker’s connections alone', async () => {
    const clients: RecordingClient[] = await Promise.all(
      Array.from({ length: 10 }, () => openRecordingClient(`${fleet.node.wsUrl}/`)),
    );
    await expect.poll(() => establishedConnections(fleet.node.port).length).toBe(20); // both ends of each, on loopback
    const owners = ownerPids(fleet.node.port);
    const victim = owners[0]!;
    const survivorsExpected = owners.filter((pid) => pid !== victim).length;
    expect(survivorsExpected).toBeGreaterThan(0);

    process.kill(victim, 'SIGKILL');
    await fleet.node.waitForLog(
      (line) => line.msg === 'worker exited, replacing it' && line.workerPid === victim && line.signal === 'SIGKILL',
    );
    await fleet.node.waitForLog(
      (line) => line.msg === 'worker ready' && line.workerPid !== victim && !owners.includes(line.workerPid as number),
    );

    const outcomes = await Promise.all(
      clients.map((client, index) =>
        client.request(`still ${index}`, 3000).then(
          (reply) => reply === `still ${index}`,
          () => false,
        ),
      ),
    );
    expect(outcomes.filter(Boolean)).toHaveLength(survivorsExpected);
    for (let i = 0; i < 6; i++) expect((await requestText(`${fleet.node.url}/after`)).status).toBe(200);
    const fresh = await openRecordingClient(`${fleet.node.wsUrl}/`);
    expect(await fresh.request('new')).toBe('new');
    await Promise.all([...clients, fresh].map((client) => client.close()));
  });

  it('answers /healthz and /readyz on the admin listener', async () => {
    expect((await requestText(`${fleet.node.adminUrl}/healthz`)).status).toBe(200);
    const ready = await requestText(`${fleet.node.adminUrl}/readyz`);
    expect(ready.status).toBe(200);
    expect(JSON.parse(ready.body)).toMatchObject({ status: 'ready', workers: 2 });
  });

  it('on SIGTERM fails /readyz, lets an HTTP request in flight finish, and exits 0', async () => {
    const other = await startFleet({
      workers: 2,
      backendCount: 1,
      args: ['--health-interval', '0', '--shutdown-deadline', '20s'],
    });
    try {
      const [backend] = other.backends;
      await backend!.setMode('hold');
      const inFlight = requestText(`${other.node.url}/slow`);
      await expect.poll(() => backend!.httpRequests).toBe(1);
      const exit = other.node.stop('SIGTERM', 30_000);
      await other.node.waitForLog((line) => line.msg === 'shutting down');
      await expect
        .poll(async () => (await requestText(`${other.node.adminUrl}/readyz`).catch(() => ({ status: 0 }))).status)
        .not.toBe(200);
      await backend!.setMode('ok');
      const response = await inFlight;
      expect(response.status).toBe(200);
      expect(JSON.parse(response.body)).toMatchObject({ url: '/slow' });
      expect(await exit).toBe(0);
    } finally {
      await Promise.all(other.backends.map((backend) => backend.close()));
    }
  });
});
