import { portFromEnv } from './port-from-env.js';
import { startDemoBackend } from './demo-backend.js';

/*
 * One demo backend in its own process, for deploy/docker-compose.yml:
 *   DEMO_BACKEND_NAME=demo-a DEMO_BACKEND_PORT=3000 node packages/demo/dist/backend-main.js
 * It listens on 0.0.0.0 so that other containers reach it.
 * SIGTERM or SIGINT: close the WebSockets with 1001, stop, exit 0.
 */
async function main(): Promise<void> {
  const name = process.env.DEMO_BACKEND_NAME || 'demo';
  const port = portFromEnv('DEMO_BACKEND_PORT', 3000);
  const backend = await startDemoBackend(name, port, '0.0.0.0');
  console.log(`demo backend ${name} on http://0.0.0.0:${port} (pid ${process.pid})`);
  let stopping = false;
  const stop = async (): Promise<void> => {
    if (stopping) return;
    stopping = true;
    await backend.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop());
  process.once('SIGINT', () => void stop());
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
