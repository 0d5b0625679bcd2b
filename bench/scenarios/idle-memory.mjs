// Memory per idle WebSocket: the sum of RSS over all of a proxy's processes with N idle
// WebSockets open through it, minus the same sum just before they opened, divided by N.
// Run against a freshly started instance so that heap grown by earlier scenarios does not
// absorb the new connections. Each connection costs a descriptor on both sides of the proxy:
// children get a raised `ulimit -n` (lib/services.mjs) and the client is spread over several
// processes (source ports are plentiful on loopback).
import { setTimeout as sleep } from 'node:timers/promises';
import { prepareLoad } from '../lib/load-runner.mjs';
import { sumRss } from '../lib/proc.mjs';

export const idleMemoryScenario = {
  name: 'idle-memory',
  title: 'Memory per idle WebSocket (sum of RSS of the proxy processes)',
  freshInstance: true,
  proxyOnly: true,
  metrics: [
    { key: 'kibPerConnection', label: 'memory per idle WebSocket (KiB)', better: 'lower', proxyOnly: true },
    { key: 'rssAfterMiB', label: 'proxy RSS with idle WebSockets (MiB)', better: 'lower', proxyOnly: true },
  ],
  async run({ instance, settings }) {
    const connections = settings.idleConnections;
    await sleep(1000);
    const before = sumRss(instance.pids());
    const t0 = performance.now();
    const load = await prepareLoad({
      mode: 'idle',
      url: instance.url.replace(/^http/, 'ws'),
      connections,
      processes: settings.idleClientProcesses,
    });
    try {
      const openSeconds = (performance.now() - t0) / 1000;
      // Let the proxy settle (buffers, timers) before reading RSS.
      await sleep(2000);
      const after = sumRss(instance.pids());
      if (load.opened === 0) throw new Error(`no idle connection opened: ${load.firstError}`);
      return {
        metrics: { kibPerConnection: (after - before) / load.opened / 1024, rssAfterMiB: after / 2 ** 20 },
        errors: load.failed,
        firstError: load.firstError,
        detail: { opened: load.opened, rssBeforeMiB: before / 2 ** 20, openSeconds },
        clientSaturated: false,
      };
    } finally {
      await load.release();
      await load.close();
    }
  },
};
