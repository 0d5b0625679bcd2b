import { createServer, type Server } from 'node:http';
import { errorCodes } from '../core/error-registry.js';

/** What the admin endpoints report about this node. */
export interface NodeHealth {
  /** Workers currently listening. */
  readonly listeningWorkers: number;
  readonly shuttingDown: boolean;
  /** The shared state is unreachable: the node routes from its last known state. */
  readonly degraded: boolean;
}

/**
 * The admin listener, served by the primary so it answers even while workers restart:
 * `/healthz` says the process is alive, `/readyz` whether it should get traffic (a load
 * balancer in front of Mooring takes the node out on 503, e.g. during shutdown).
 */
export function createAdminServer(health: () => NodeHealth): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const state = health();
    if (path === '/healthz') return json(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      // Degraded still serves (from the last known state), so it stays in rotation: 200.
      const ready = state.listeningWorkers > 0 && !state.shuttingDown;
      const reason = state.shuttingDown ? 'shutting-down' : ready ? undefined : 'no-worker-listening';
      const status = !ready ? 'not-ready' : state.degraded ? 'degraded' : 'ready';
      return json(res, ready ? 200 : 503, {
        status,
        reason,
        degraded: state.degraded,
        workers: state.listeningWorkers,
      });
    }
    const notFound = 'MOORING_ERR_ADMIN_NOT_FOUND';
    json(res, errorCodes[notFound].status, { code: notFound, message: errorCodes[notFound].message });
  });
}

function json(res: import('node:http').ServerResponse, status: number, body: object): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
