import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { findFreePort, registerChild } from '@mooring/testkit';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const demoMain = fileURLToPath(new URL('../../packages/demo/dist/main.js', import.meta.url));
const chromiumPath = '/usr/bin/chromium';

let demo: ChildProcess;
let browser: Browser;
let port: number;

beforeAll(async () => {
  if (!existsSync(chromiumPath))
    throw new Error(`${chromiumPath} is missing: apt-get install chromium (pnpm test installs it as root)`);
  port = await findFreePort();
  const adminPort = await findFreePort();
  demo = spawn(process.execPath, [demoMain], {
    env: { ...process.env, MOORING_DEMO_PORT: String(port), MOORING_DEMO_ADMIN_PORT: String(adminPort) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  registerChild(demo);
  await new Promise<void>((resolve, reject) => {
    const lines = createInterface({ input: demo.stdout! });
    lines.on('line', (line) => line.includes(`Open http://127.0.0.1:${port}/`) && resolve());
    demo.once('exit', (code) => reject(new Error(`demo exited early with ${code}`)));
  });
  browser = await chromium.launch({
    executablePath: chromiumPath,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  if (demo && demo.exitCode === null) {
    demo.kill('SIGTERM');
    await new Promise((resolve) => demo.once('exit', resolve));
  }
});

describe('pnpm demo, in a real browser', () => {
  it('shows the page through Mooring with its WebSocket connected and the backend named', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${port}/`);
    await expect.poll(() => page.textContent('#status')).toBe('WebSocket: connected');
    await expect.poll(() => page.textContent('#backend')).toMatch(/^Backend: demo-[abc]$/);
    await page.fill('#message', 'hello from the browser');
    await page.click('#send');
    await expect.poll(() => page.textContent('#log')).toContain('hello from the browser');
    await page.close();
  });
});
