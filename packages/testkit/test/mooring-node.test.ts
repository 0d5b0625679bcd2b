import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { runMooring, startMooringNode } from '../src/index.js';

// A stand-in for the CLI, so the launcher is tested without a real node:
// it logs like pino, announces readiness with fixed ports and exits 0 on SIGTERM.
const FAKE_NODE = `
const args = process.argv.slice(2);
console.log('not json');
console.log(JSON.stringify({ level: 30, msg: 'starting', args }));
if (args.includes('--fail')) { console.error('bad config: --fail'); process.exit(2); }
// The handler comes before 'node ready': a launcher may signal as soon as it reads that line.
process.on('SIGTERM', () => { console.log(JSON.stringify({ level: 30, msg: 'stopping' })); process.exit(0); });
console.log(JSON.stringify({ level: 30, msg: 'node ready', listen: { host: '127.0.0.1', port: 4001 }, admin: { host: '127.0.0.1', port: 4002 } }));
setInterval(() => {}, 1000);
`;

function fakeBin(): string {
  const path = join(mkdtempSync(join(tmpdir(), 'mooring-fake-')), 'bin.mjs');
  writeFileSync(path, FAKE_NODE);
  return path;
}

describe('startMooringNode (against a fake CLI)', () => {
  it('passes the defaults, parses readiness and stops with SIGTERM', async () => {
    const node = await startMooringNode({ bin: fakeBin(), workers: 3, args: ['--backend', 'a=http://127.0.0.1:1'] });
    expect(node).toMatchObject({
      port: 4001,
      adminPort: 4002,
      url: 'http://127.0.0.1:4001',
      wsUrl: 'ws://127.0.0.1:4001',
    });
    const starting = await node.waitForLog((line) => line.msg === 'starting');
    expect(starting.args).toEqual([
      'start',
      '--listen',
      '127.0.0.1:0',
      '--admin',
      '127.0.0.1:0',
      '--workers',
      '3',
      '--backend',
      'a=http://127.0.0.1:1',
    ]);
    expect(node.rawOutput).toContain('not json');
    expect(await node.stop()).toBe(0);
    expect(node.logs.map((line) => line.msg)).toContain('stopping');
  });

  it('kill() reports SIGKILL as 137', async () => {
    const node = await startMooringNode({ bin: fakeBin() });
    expect(await node.kill()).toBe(137);
  });

  it('rejects with the output when the process exits before ready', async () => {
    const failure = startMooringNode({ bin: fakeBin(), args: ['--fail'] });
    await expect(failure).rejects.toMatchObject({ code: 'TESTKIT_ERR_NODE_START' });
    await expect(failure).rejects.toThrow(/bad config: --fail/);
  });
});

describe('runMooring (against a fake CLI)', () => {
  it('returns exit code and output', async () => {
    const result = await runMooring(['start', '--fail'], {}, { bin: fakeBin() });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('bad config: --fail');
    expect(result.stdout).toContain('"msg":"starting"');
  });
});
