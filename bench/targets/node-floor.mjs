// The Node floor (DESIGN.md "Performance yardsticks"): a bare Node reverse proxy with no
// features (lib/node-floor-proxy.mjs), 2 cluster workers accepting for themselves, once with a
// core `http` upstream and once with undici. Mooring's goal is to reach it, then beat it.
// Beside them "plain http-proxy", the same process with http-proxy both ways: not a floor (it
// does not count towards the best floor) but what the upgrade path DESIGN.md keeps costs alone.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { freePort } from '../lib/ports.mjs';
import { processTree } from '../lib/proc.mjs';
import { jsonLine, pollHttp, startService } from '../lib/services.mjs';

const script = fileURLToPath(new URL('../lib/node-floor-proxy.mjs', import.meta.url));
const require = createRequire(import.meta.url);

const balancerRequire = createRequire(new URL('../../packages/balancer/package.json', import.meta.url));

/** "name version" of an installed package, or undefined when it is not installed. */
function installed(load, name) {
  try {
    return `${name} ${load(`${name}/package.json`).version}`;
  } catch {
    return undefined;
  }
}

/** What each `--upstream` needs installed, and how its version reads. */
const upstreams = {
  http: { version: () => 'core http' },
  undici: {
    version: () => installed(require, 'undici'),
    missing: 'undici is not installed (pnpm install: a root devDependency)',
  },
  'http-proxy': {
    version: () => installed(balancerRequire, 'http-proxy'),
    missing: "http-proxy is not installed (pnpm install: @mooring/balancer's dependency)",
  },
};

function floorTarget({ name, label, upstream, floor = true }) {
  const kind = upstreams[upstream];
  return {
    name,
    label,
    proxy: true,
    floor,
    tls: true,
    // Started by `node` itself, so `--profile` can hand it --cpu-prof.
    profilable: true,
    async available() {
      if (!kind.version()) return { ok: false, reason: kind.missing };
      return { ok: true };
    },
    version: () => `Node ${process.version}, ${kind.version()}`,
    async start({ backend, nodeArgs = [], tls }) {
      const port = await freePort();
      const args = [...nodeArgs, script, '--port', String(port), '--backend', backend.url, '--upstream', upstream];
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
export const plainHttpProxyTarget = floorTarget({
  name: 'http-proxy-plain',
  label: 'plain http-proxy',
  upstream: 'http-proxy',
  floor: false,
});
