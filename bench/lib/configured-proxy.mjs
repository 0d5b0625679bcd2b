// Starts a third-party proxy (nginx, HAProxy) from a config file written into a temp dir, on a
// free port (and a second one for TLS when the run has a certificate), and waits until it
// answers; stop() ends it and removes the dir.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './ports.mjs';
import { processTree } from './proc.mjs';
import { pollHttp, startService } from './services.mjs';
import { which } from './tools.mjs';

/**
 * @param {{ name: string, configFile: string, tls?: object,
 *           render: (where: {dir: string, port: number, tlsPort?: number}) => string,
 *           args: (where: {dir: string, config: string}) => string[] }} options
 */
export async function startConfiguredProxy({ name, configFile, render, args, tls }) {
  const dir = mkdtempSync(join(tmpdir(), `mooring-bench-${name}-`));
  const port = await freePort();
  const tlsPort = tls ? await freePort() : undefined;
  const config = join(dir, configFile);
  writeFileSync(config, render({ dir, port, tlsPort }));
  const service = await startService({ name, command: which(name), args: args({ dir, config }) });
  const url = `http://127.0.0.1:${port}`;
  await pollHttp(`${url}/`, (status) => status === 200);
  return {
    url,
    tlsUrl: tlsPort ? `https://127.0.0.1:${tlsPort}` : undefined,
    pids: () => processTree(service.pid),
    stop: async () => {
      await service.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
