import { request } from 'node:http';

/**
 * One active health check: GET `path` on the backend. Any answer below 500 within the timeout
 * passes (a 404 still proves the process serves); an error, a 5xx or silence fails. A fresh
 * connection each time, so a check also proves the backend still accepts connections.
 */
export function probeBackend(origin: string, path: string, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (passed: boolean): void => {
      if (!settled) resolve(passed);
      settled = true;
    };
    const headers = { 'user-agent': 'mooring-health-check', connection: 'close' };
    const req = request(new URL(path, origin), { method: 'GET', agent: false, headers });
    const timer = setTimeout(() => {
      settle(false);
      req.destroy();
    }, timeoutMs);
    req.once('response', (res) => {
      clearTimeout(timer);
      settle((res.statusCode ?? 500) < 500);
      res.resume();
    });
    req.once('error', () => {
      clearTimeout(timer);
      settle(false);
    });
    req.end();
  });
}
