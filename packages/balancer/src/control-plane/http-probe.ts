import { request } from 'node:http';
import { request as requestTls } from 'node:https';

/**
 * One active health check: GET `path` on the backend. Any answer below 500 within the timeout
 * passes (a 404 still proves the process serves); an error, a 5xx or silence fails. A fresh
 * connection each time, so a check also proves the backend still accepts connections (and, for
 * an `https://` backend, that its certificate still verifies against `ca` or Node's CAs).
 */
export function probeBackend(origin: string, path: string, timeoutMs: number, ca?: string): Promise<boolean> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (passed: boolean): void => {
      if (!settled) resolve(passed);
      settled = true;
    };
    const headers = { 'user-agent': 'mooring-health-check', connection: 'close' };
    const url = new URL(path, origin);
    const options = { method: 'GET', agent: false as const, headers, ...(ca === undefined ? {} : { ca }) };
    const req = url.protocol === 'https:' ? requestTls(url, options) : request(url, options);
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
