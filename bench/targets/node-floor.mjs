// The Node floor (DESIGN.md "Performance yardsticks"): a bare Node reverse proxy with no
// features (lib/node-floor-proxy.mjs), 2 cluster workers accepting for themselves, once with a
// core `http` upstream and once with undici. Mooring's goal is to reach it, then beat it.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/ports.mjs';
import { processTree } from '../lib/proc.mjs';
import { jsonLine, pollHttp, startService } from '../lib/services.mjs';

const script = fileURLToPath(new URL('../lib/node-floor-proxy.mjs', import.meta.url));
const require = createRequire(import.meta.url);

function undiciVersion() {
  try {
    return require('undici/package.json').version;
  } catch {
    return undefined;
  }
}

function floorTarget({ name, label, upstream }) {
  return {
    name,
    label,
    proxy: true,
    floor: true,
    tls: true,
    async available() {
      if (upstream === 'undici' && !undiciVersion())
        return { ok: false, reason: 'undici is not installed (pnpm install: a root devDependency)' };
      return { ok: true };
    },
    version: () =>
      upstream === 'undici'
        ? `Node ${process.version}, undici ${undiciVersion()}`
        : `Node ${process.version}, core http`,
    async start({ backend, tls }) {
      const port = await freePort();
      const args = [script, '--port', String(port), '--backend', backend.url, '--upstream', upstream];
      const tlsPort = tls ? await freePort() : undefined;
      if (tls) args.push('--tls-port', String(tlsPort), '--tls-cert', tls.certPath, '--tls-key', tls.keyPath);
      const service = await startService({
        name,
        command: process.execPath,
        args,
        isReady: (line) => jsonLine(line)?.ready,
      });
      const url = `http://127.0.0.1:${port}`;
      await pollHttp(`${url}/`, (status) => status === 200);
      return {
        url,
        tlsUrl: tls ? `https://127.0.0.1:${tlsPort}` : undefined,
        pids: () => processTree(service.pid),
        stop: () => service.stop(),
      };
    },
  };
}

export const nodeFloorTarget = floorTarget({ name: 'node-floor', label: 'Node floor (http)', upstream: 'http' });
export const nodeFloorUndiciTarget = floorTarget({
  name: 'node-floor-undici',
  label: 'Node floor (undici)',
  upstream: 'undici',
});
