import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requestText, startMooringNode, startTestBackend, type MooringNode, type TestBackend } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

// Each rule of a real rules file, against real ws clients (with and without permessage-deflate,
// whole messages and fragmented ones) and a real ws backend: a violation closes with its code on
// both sides, clean messages pass unchanged.
const rulesYaml = `
rules:
  - path: /utf8
    utf8: true
  - path: /json
    json: { maxDepth: 4, maxSize: 2048 }
  - path: /deny
    deny: ['<script', '(?i)drop\\s+table', '^(a+)+$']
  - path: /size
    maxMessageSize: 1024
  - path: /log
    action: log
    deny: ['forbidden']
  - path: /both
    direction: both
    deny: ['secret']
`;

let backend: TestBackend;
let node: MooringNode;
beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'mooring-rules-'));
  const rules = join(dir, 'rules.yaml');
  writeFileSync(rules, rulesYaml);
  backend = await startTestBackend({ name: 'guarded' });
  node = await startMooringNode({
    workers: 1,
    args: ['--backend', `guarded=${backend.url}`, '--message-rules', rules],
  });
});
afterAll(async () => {
  await node?.stop();
  await backend?.close();
});

type Mode = 'plain' | 'plain, fragmented' | 'deflate' | 'deflate, fragmented';
const modes: Mode[] = ['plain', 'plain, fragmented', 'deflate', 'deflate, fragmented'];

/** A ws client in one mode: permessage-deflate on every message (threshold 0) or not negotiated. */
async function connect(path: string, mode: Mode): Promise<WebSocket> {
  const client = new WebSocket(`${node.wsUrl}${path}`, {
    perMessageDeflate: mode.startsWith('deflate') ? { threshold: 0 } : false,
  });
  client.on('error', () => undefined);
  await once(client, 'open');
  const negotiated = client.extensions;
  expect(negotiated.includes('permessage-deflate')).toBe(mode.startsWith('deflate'));
  return client;
}

/** Sends one text message, whole or in three fragments (ws: `fin: false`, then a last one). */
function sendText(client: WebSocket, payload: Buffer, mode: Mode): void {
  if (!mode.endsWith('fragmented') || payload.length < 3) return client.send(payload, { binary: false });
  const third = Math.ceil(payload.length / 3);
  client.send(payload.subarray(0, third), { binary: false, fin: false });
  client.send(payload.subarray(third, 2 * third), { binary: false, fin: false });
  client.send(payload.subarray(2 * third), { binary: false, fin: true });
}

async function echoOf(client: WebSocket, payload: Buffer, mode: Mode): Promise<Buffer> {
  const echoed = once(client, 'message');
  sendText(client, payload, mode);
  const [data] = (await echoed) as [Buffer];
  return data;
}

interface RuleCase {
  readonly path: string;
  readonly clean: readonly string[];
  readonly violating: Buffer;
  readonly code: number;
}

const base64 = (bytes: number): string => randomBytes(bytes).toString('base64');
const cases: RuleCase[] = [
  {
    path: '/utf8',
    clean: ['héllo wörld', '日本語のテキスト'],
    violating: Buffer.from([0x68, 0x69, 0xc3, 0x28, 0x21]),
    code: 1007,
  },
  {
    path: '/json',
    clean: ['{"a":[1,{"b":2}]}', '"just a string with [[[[ inside"'],
    violating: Buffer.from('[[[[[1]]]]]'),
    code: 1008,
  },
  { path: '/json', clean: ['[1,2,3]'], violating: Buffer.from('{"unterminated": '), code: 1008 },
  { path: '/json', clean: ['{}'], violating: Buffer.from(JSON.stringify({ pad: 'x'.repeat(3000) })), code: 1008 },
  {
    path: '/deny',
    clean: ['hello world', 'a table to drop'],
    violating: Buffer.from('x <script>alert(1)'),
    code: 1008,
  },
  { path: '/deny', clean: ['aaaab'], violating: Buffer.from('please DROP   TABLE users'), code: 1008 },
  { path: '/deny', clean: [`${'a'.repeat(30_000)}b`], violating: Buffer.from('a'.repeat(30_000)), code: 1008 },
  // Random base64 does not compress: over 1024 bytes on the wire, deflate or not.
  { path: '/size', clean: [base64(300)], violating: Buffer.from(base64(3000)), code: 1009 },
];

describe.each(modes)('message rules, %s', (mode) => {
  it.each(cases)('$path: clean messages pass, a violating one closes $code on both sides', async (rule) => {
    const client = await connect(rule.path, mode);
    // Many similar messages first: under deflate, later ones refer back to earlier ones (context takeover).
    for (let round = 0; round < 5; round++) {
      for (const message of rule.clean) {
        const payload = Buffer.from(message);
        expect((await echoOf(client, payload, mode)).equals(payload)).toBe(true);
      }
    }
    const closesBefore = backend.closeCodes.length;
    const closed = once(client, 'close');
    sendText(client, rule.violating, mode);
    const [code] = (await closed) as [number];
    expect(code).toBe(rule.code);
    await expect.poll(() => backend.closeCodes.slice(closesBefore)).toEqual([rule.code]);
  });
});

async function closeClient(client: WebSocket): Promise<void> {
  const closed = once(client, 'close');
  client.close();
  await closed;
}

async function violationsCounted(labels: string): Promise<number> {
  const text = (await requestText(`${node.adminUrl}/metrics`)).body;
  const line = text.split('\n').find((entry) => entry.startsWith(`mooring_message_rule_violations_total{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
}

describe('rule actions and directions', () => {
  it('action log forwards the message, counts it and logs it', async () => {
    const client = await connect('/log', 'deflate');
    const payload = Buffer.from('a forbidden word');
    expect((await echoOf(client, payload, 'deflate')).equals(payload)).toBe(true);
    expect(client.readyState).toBe(WebSocket.OPEN);
    const line = await node.waitForLog((entry) => entry.msg === 'message rule violated' && entry.path === '/log');
    expect(line).toMatchObject({ rule: 'deny', detail: 'forbidden', action: 'log', direction: 'client_to_backend' });
    const labels = 'rule="deny",action="log",direction="client_to_backend"';
    await expect.poll(() => violationsCounted(labels)).toBeGreaterThanOrEqual(1);
    await closeClient(client);
  });

  it('direction both inspects what the backend sends: its violating message never reaches the client', async () => {
    const client = await connect('/both', 'plain');
    const received: string[] = [];
    client.on('message', (data: Buffer) => received.push(data.toString()));
    await expect.poll(() => backend.webSockets.size).toBeGreaterThanOrEqual(1);
    const [serverSide] = [...backend.webSockets].slice(-1);
    const closesBefore = backend.closeCodes.length;
    const closed = once(client, 'close');
    serverSide!.send('harmless');
    serverSide!.send('the secret is 42');
    const [code] = (await closed) as [number];
    expect(code).toBe(1008);
    expect(received).toEqual(['harmless']);
    await expect.poll(() => backend.closeCodes.slice(closesBefore)).toEqual([1008]);
    const labels = 'rule="deny",action="close",direction="backend_to_client"';
    await expect.poll(() => violationsCounted(labels)).toBeGreaterThanOrEqual(1);
  });

  it('leaves paths without a rule alone: what a rule elsewhere refuses passes', async () => {
    const client = await connect('/free', 'plain');
    const payload = Buffer.from('x <script>alert(1)');
    expect((await echoOf(client, payload, 'plain')).equals(payload)).toBe(true);
    await closeClient(client);
  });

  it('subjects binary messages to the limits only, not to the text checks', async () => {
    const client = await connect('/utf8', 'plain');
    const payload = Buffer.from([0xc3, 0x28]);
    const echoed = once(client, 'message');
    client.send(payload, { binary: true });
    const [data] = (await echoed) as [Buffer];
    expect(data.equals(payload)).toBe(true);
    await closeClient(client);
  });
});
