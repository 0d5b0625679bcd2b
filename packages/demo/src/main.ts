import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { MOORING_BIN } from './mooring-bin.js';
import { startDemoBackend, type DemoBackend } from './demo-backend.js';
import { portFromEnv } from './port-from-env.js';

/*
 * `pnpm demo`: three demo backends behind a real two-worker Mooring node.
 * MOORING_DEMO_PORT / MOORING_DEMO_ADMIN_PORT override 8080 / 9090.
 */

const NAMES = ['demo-a', 'demo-b', 'demo-c'];

function startNode(backends: DemoBackend[], port: number, adminPort: number): ChildProcess {
  const args = ['start', '--listen', `127.0.0.1:${port}`, '--admin', `127.0.0.1:${adminPort}`, '--workers', '2'];
  for (const backend of backends) args.push('--backend', `${backend.name}=${backend.url}`);
  console.log(`$ mooring ${args.join(' ')}`);
  // stdout is piped (and copied through) only to spot the 'node ready' line.
  const child = spawn(process.execPath, [MOORING_BIN, ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    console.log(line);
    if (line.includes('"node ready"')) printBanner(port, adminPort);
  });
  return child;
}

function printBanner(port: number, adminPort: number): void {
  const rule = '='.repeat(60);
  console.log(
    `\n${rule}\n  Open http://127.0.0.1:${port}/ in a browser\n  Admin: http://127.0.0.1:${adminPort}/\n  Ctrl-C stops everything\n${rule}\n`,
  );
}

async function main(): Promise<void> {
  if (!existsSync(MOORING_BIN)) {
    console.error(`${MOORING_BIN} not found: build first (pnpm build)`);
    process.exit(1);
  }
  const port = portFromEnv('MOORING_DEMO_PORT', 8080);
  const adminPort = portFromEnv('MOORING_DEMO_ADMIN_PORT', 9090);
  const backends = await Promise.all(NAMES.map((name) => startDemoBackend(name)));
  for (const backend of backends) console.log(`demo backend ${backend.name} on ${backend.url}`);
  const node = startNode(backends, port, adminPort);
  let stopping = false;
  const shutdown = async (code: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    if (node.exitCode === null && node.signalCode === null) {
      node.kill('SIGTERM');
      await new Promise((resolve) => node.once('exit', resolve));
    }
    await Promise.all(backends.map((backend) => backend.close()));
    process.exit(code);
  };
  // Ctrl-C reaches the node too (same process group); we still wait for it.
  process.once('SIGINT', () => void shutdown(0));
  process.once('SIGTERM', () => void shutdown(0));
  node.once('exit', (code) => {
    if (!stopping) console.error(`mooring exited with code ${code}`);
    void shutdown(code ?? 1);
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
