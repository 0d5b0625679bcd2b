import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { constants, deflateRawSync } from 'node:zlib';
import {
  clientFrame,
  RawWebSocket,
  runMooring,
  startMooringNode,
  startTestBackend,
  type MooringNode,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// Decompression bombs against the inflate budget, the rules file read again on SIGHUP, and a bad
// rules file refused at start.
const dir = mkdtempSync(join(tmpdir(), 'mooring-rules-lifecycle-'));
const rulesFile = join(dir, 'rules.yaml');
const rulesWith = (deny: string): string => `
rules:
  - path: /bomb
    utf8: true
    inflateBudget: 262144
  - path: /chat
    deny: ['${deny}']
`;

let backend: TestBackend;
let node: MooringNode;
beforeAll(async () => {
  writeFileSync(rulesFile, rulesWith('alpha'));
  backend = await startTestBackend({ name: 'guarded' });
  node = await startMooringNode({
    workers: 1,
    args: ['--backend', `guarded=${backend.url}`, '--message-rules', rulesFile],
  });
});
afterAll(async () => {
  await node?.stop();
  await backend?.close();
});

/** A permessage-deflate message as a sender puts it on the wire (RFC 7692 §7.2.1: the sync tail cut). */
function compressed(plain: Buffer): Buffer {
  const deflated = deflateRawSync(plain, { finishFlush: constants.Z_SYNC_FLUSH });
  return deflated.subarray(0, deflated.length - 4);
}

/** A raw client that negotiated permessage-deflate, so that it can send hand-made compressed frames. */
async function deflateClient(path: string): Promise<RawWebSocket> {
  const client = await RawWebSocket.open(node.port, path, '127.0.0.1', [
    'Sec-WebSocket-Extensions: permessage-deflate; client_no_context_takeover',
  ]);
  expect(client.responseHead).toMatch(/sec-websocket-extensions: permessage-deflate/i);
  return client;
}

/** The worker's peak resident memory so far (VmHWM), in bytes. */
function workerPeakMemory(): number {
  const [pid] = execFileSync('ps', ['-o', 'pid=', '--ppid', String(node.pid)], { encoding: 'utf8' })
    .trim()
    .split(/\s+/);
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe('the inflate budget', () => {
  it('closes a 1 KB message that inflates past the budget with 1009; a small compressed one passes', async () => {
    const client = await deflateClient('/bomb');
    const small = compressed(Buffer.from('a small compressed message'));
    client.write(clientFrame(0x1, small, { rsv1: true }));
    // The echo comes back compressed by the backend: one text frame with RSV1.
    await expect.poll(() => client.frames.filter((frame) => frame.opcode === 0x1).length).toBe(1);
    const bomb = compressed(Buffer.alloc(1 << 20, 0x61));
    expect(bomb.length).toBeLessThan(1100);
    const closesBefore = backend.closeCodes.length;
    client.write(clientFrame(0x1, bomb, { rsv1: true }));
    expect(await client.closeCode()).toBe(1009);
    await expect.poll(() => backend.closeCodes.slice(closesBefore)).toEqual([1009]);
    const line = await node.waitForLog(
      (entry) => entry.msg === 'message rule violated' && entry.rule === 'inflateBudget',
    );
    expect(line).toMatchObject({ action: 'close', path: '/bomb' });
  });

  it("keeps the worker's memory flat under bombs that would inflate to 64 MiB each", async () => {
    const bomb = compressed(Buffer.alloc(64 << 20));
    const before = workerPeakMemory();
    // Bounded: 12 clients, one bomb each, all at once.
    const clients = await Promise.all(Array.from({ length: 12 }, () => deflateClient('/bomb')));
    for (const client of clients) client.write(clientFrame(0x1, bomb, { rsv1: true }));
    expect(await Promise.all(clients.map((client) => client.closeCode()))).toEqual(Array(12).fill(1009));
    // Inflated whole, one bomb alone would have raised the peak by 64 MiB.
    expect(workerPeakMemory() - before).toBeLessThan(32 << 20);
  });
});

async function connect(path: string): Promise<WebSocket> {
  const client = new WebSocket(`${node.wsUrl}${path}`);
  client.on('error', () => undefined);
  await once(client, 'open');
  return client;
}

/** Whether `text` comes back as its echo (true) or closes the session with 1008 (false). */
async function passes(client: WebSocket, text: string): Promise<boolean> {
  const outcome = Promise.race([
    once(client, 'message').then(() => true),
    once(client, 'close').then(([code]) => {
      expect(code).toBe(1008);
      return false;
    }),
  ]);
  client.send(text);
  return outcome;
}

describe('SIGHUP', () => {
  it('applies a new rules file to new sessions, in place; open sessions keep their rule', async () => {
    const workerBefore = execFileSync('ps', ['-o', 'pid=', '--ppid', String(node.pid)], { encoding: 'utf8' }).trim();
    const before = await connect('/chat');
    expect(await passes(before, 'beta')).toBe(true);
    writeFileSync(rulesFile, rulesWith('beta'));
    node.process.kill('SIGHUP');
    await node.waitForLog((entry) => entry.msg === 'SIGHUP: configuration applied in place, no worker replaced');
    const after = await connect('/chat');
    expect(await passes(after, 'alpha')).toBe(true);
    expect(await passes(after, 'beta')).toBe(false);
    // The session opened before the reload still follows the rule it started with.
    expect(await passes(before, 'beta')).toBe(true);
    expect(await passes(before, 'alpha')).toBe(false);
    expect(execFileSync('ps', ['-o', 'pid=', '--ppid', String(node.pid)], { encoding: 'utf8' }).trim()).toBe(
      workerBefore,
    );
  });

  it('refuses a reload whose rules file is bad, and keeps the rules in force', async () => {
    writeFileSync(rulesFile, rulesWith('(?=lookahead)'));
    node.process.kill('SIGHUP');
    const failed = await node.waitForLog(
      (entry) => entry.msg === 'SIGHUP: reload failed, keeping the running configuration',
    );
    expect(JSON.stringify(failed.err)).toContain('rules.1.deny');
    const client = await connect('/chat');
    expect(await passes(client, 'beta')).toBe(false);
  });
});

describe('mooring start with a bad rules file', () => {
  it.each([
    ['a missing file', join(dir, 'missing.yaml'), 'ENOENT'],
    ['a pattern RE2 refuses', 'backreference', 'rules.0.deny'],
    ['an unknown key', 'unknown', 'unknown key "denny"'],
  ])('%s exits 2 with one line naming the file and the field', async (_name, which, expected) => {
    const texts: Record<string, string> = {
      backreference: "rules:\n  - path: /x\n    deny: ['(a)\\1']\n",
      unknown: "rules:\n  - path: /x\n    denny: ['x']\n",
    };
    const file = which in texts ? join(dir, `${which}.yaml`) : which;
    if (which in texts) writeFileSync(file, texts[which]!);
    const result = await runMooring(['start', '--backend', `a=${backend.url}`, '--message-rules', file]);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`messageRules (${file})`);
    expect(lines[0]).toContain(expected);
  });
});
