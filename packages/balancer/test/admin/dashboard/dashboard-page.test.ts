import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stubContext, stubNode, startAdmin } from './stub-context.js';

const assetsDir = new URL('../../../src/admin/dashboard/assets/', import.meta.url);

let admin: Awaited<ReturnType<typeof startAdmin>>;
beforeAll(async () => {
  admin = await startAdmin(stubContext(stubNode()).ctx);
});
afterAll(() => admin?.close());

function expectSecurityHeaders(response: Response): void {
  expect(response.headers.get('content-security-policy')).toMatch(/^default-src 'self';/);
  expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  expect(response.headers.get('x-content-type-options')).toBe('nosniff');
  expect(response.headers.get('cache-control')).toBe('no-store');
}

describe('the dashboard page', () => {
  it('is served at / with a policy that allows only its own origin', async () => {
    const response = await fetch(`${admin.url}/`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expectSecurityHeaders(response);
    const html = await response.text();
    expect(html).toContain('<script type="module" src="/assets/dashboard.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/assets/dashboard.css">');
    // Self-contained: nothing is loaded from anywhere else, not even a font.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
  });

  it('serves its stylesheet and every browser module it imports, from this listener only', async () => {
    const css = await fetch(`${admin.url}/assets/dashboard.css`);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expectSecurityHeaders(css);
    expect(await css.text()).not.toMatch(/url\(|@import/);
    const modules = readdirSync(assetsDir).filter((name) => name.endsWith('.js'));
    expect(modules).toContain('dashboard.js');
    for (const name of modules) {
      const response = await fetch(`${admin.url}/assets/${name}`);
      expect(response.status, name).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
      expectSecurityHeaders(response);
      const source = await response.text();
      for (const [, imported] of source.matchAll(/from '\.\/([a-z-]+\.js)'/g)) expect(modules).toContain(imported);
    }
  });

  it('answers 404 for files it does not serve', async () => {
    for (const path of [
      '/assets/missing.js',
      '/assets/../dashboard-routes.js',
      '/assets/dashboard.d.ts',
      '/index.html',
    ]) {
      const response = await fetch(`${admin.url}${path}`);
      expect(response.status, path).toBe(404);
      expect(await response.json()).toMatchObject({ code: 'MOORING_ERR_ADMIN_NOT_FOUND' });
    }
  });

  it('never parses data as HTML in its scripts', () => {
    for (const name of readdirSync(assetsDir)) {
      const source = readFileSync(new URL(name, assetsDir), 'utf8');
      expect(source, name).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(|new Function/);
    }
  });
});
