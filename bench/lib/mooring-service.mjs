// Launches a Mooring node for a benchmark. Logs stay at `warn` (the per-session `info` line
// would otherwise be part of what is measured), so readiness comes from the admin /readyz
// endpoint reporting every worker listening, on ports chosen here.
import { fileURLToPath } from 'node:url';
import { freePort } from './ports.mjs';
import { pollHttp, startService } from './services.mjs';
import { processTree } from './proc.mjs';

export const mooringBin = fileURLToPath(new URL('../../packages/cli/dist/bin.js', import.meta.url));

/**
 * @param {object} options
 * @param {{id: string, url: string}[]} options.backends
 * @param {number} [options.workers]
 * @param {'none'|'rr'} [options.scheduling]
 * @param {string[]} [options.extraArgs] more `mooring start` flags
 * @param {string[]} [options.nodeArgs] flags for node itself, e.g. --cpu-prof: cluster workers
 *   inherit the primary's execArgv (Node 20 refuses --cpu-prof in NODE_OPTIONS)
 * @param {Record<string,string>} [options.env]
 * @param {{certPath: string, keyPath: string}} [options.tls] also listen with TLS (`--listen-tls`)
 *   with this certificate; the service then has `tlsUrl`
 * @param {number} [options.readyTimeoutMs] how long every worker may take to listen
 */
export async function startMooring({
  name = 'mooring',
  backends,
  workers = 2,
  scheduling,
  extraArgs = [],
  nodeArgs = [],
  env = {},
  tls,
  readyTimeoutMs = 15_000,
}) {
  const port = await freePort();
  const adminPort = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  const args = [
    ...nodeArgs,
    mooringBin,
    'start',
    '--listen',
    `127.0.0.1:${port}`,
    '--admin',
    `127.0.0.1:${adminPort}`,
    '--workers',
    String(workers),
    '--log-level',
    'warn',
  ];
  if (scheduling) args.push('--scheduling', scheduling);
  for (const backend of backends) args.push('--backend', `${backend.id}=${backend.url}`);
  if (tls) args.push('--listen-tls', `127.0.0.1:${tlsPort}`, '--tls-cert', tls.certPath, '--tls-key', tls.keyPath);
  args.push(...extraArgs);
  const service = await startService({ name, command: process.execPath, args, env });
  const exited = new Promise((_, reject) =>
    service.child.once('exit', (code) => reject(new Error(`exited with code ${code}`))),
  );
  exited.catch(() => {});
  try {
    await Promise.race([
      pollHttp(
        `http://127.0.0.1:${adminPort}/readyz`,
        (status, body) => status === 200 && JSON.parse(body).workers === workers,
        readyTimeoutMs,
      ),
      exited,
    ]);
  } catch (err) {
    await service.stop();
    throw new Error(`${name}: ${err.message}; stderr: ${service.stderrTail()}`);
  }
  service.port = port;
  service.adminPort = adminPort;
  service.url = `http://127.0.0.1:${port}`;
  service.tlsUrl = tls ? `https://127.0.0.1:${tlsPort}` : undefined;
  service.pids = () => processTree(service.pid);
  return service;
}
