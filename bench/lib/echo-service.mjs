import { fileURLToPath } from 'node:url';
import { jsonLine, startService } from './services.mjs';

const script = fileURLToPath(new URL('./echo-backend.mjs', import.meta.url));

/** Starts one echo backend process on a free port; resolves to the service with `.port` and `.url`. */
export async function startEchoBackend(name, { deflate = false } = {}) {
  const service = await startService({
    name,
    command: process.execPath,
    args: [script, ...(deflate ? ['--deflate'] : [])],
    isReady: (line) => jsonLine(line)?.ready && jsonLine(line),
  });
  service.port = service.readyInfo.port;
  service.url = `http://127.0.0.1:${service.port}`;
  service.pids = () => [service.pid];
  return service;
}
