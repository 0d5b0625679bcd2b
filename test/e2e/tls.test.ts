import { X509Certificate } from 'node:crypto';
import { copyFileSync } from 'node:fs';
import { connect as connectTls, type PeerCertificate } from 'node:tls';
import { connect } from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import WebSocket from 'ws';
import { startMooringNode, startTestBackend, type LogLine, type MooringNode, type TestBackend } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCertificateAuthority, type TestCertificate } from '../support/certificates.js';

// A CA of the test's own signs the listener's certificates (two hostnames, a replacement) and
// the https:// backend's; a self-signed certificate stands for a backend from an unknown CA.
let ca: TestCertificateAuthority;
let listenerFiles: { cert: string; key: string };
let first: TestCertificate;
let apps: TestCertificate;
let plainBackend: TestCertificate;
let node: MooringNode;
let tlsPort: number;
const backends: TestBackend[] = [];

beforeAll(async () => {
  ca = new TestCertificateAuthority();
  first = ca.issue('default', ['chat.example.test', '*.chat.example.test']);
  apps = ca.issue('apps', ['apps.example.test']);
  plainBackend = ca.issue('backend', ['127.0.0.1', 'localhost']);
  // The node reads its default certificate from these paths, which the test later overwrites.
  listenerFiles = { cert: join(ca.dir, 'listener.pem'), key: join(ca.dir, 'listener.key') };
  copyFileSync(first.certFile, listenerFiles.cert);
  copyFileSync(first.keyFile, listenerFiles.key);
  backends.push(
    await startTestBackend({ name: 'tls-backend', tls: { cert: plainBackend.cert, key: plainBackend.key } }),
  );
  node = await startMooringNode({
    workers: 2,
    args: [
      '--listen-tls',
      '127.0.0.1:0',
      '--tls-cert',
      listenerFiles.cert,
      '--tls-key',
      listenerFiles.key,
      '--tls-cert',
      apps.certFile,
      '--tls-key',
      apps.keyFile,
      '--backend-ca',
      ca.caFile,
      '--backend',
      `tls-backend=${backends[0]!.url}`,
      '--sticky',
      'cookie',
      '--cookie-secret',
      'tls-test-secret-0123456789',
    ],
  });
  tlsPort = await tlsPortOf(node);
}, 60_000);

afterAll(async () => {
  await node?.stop();
  await Promise.all(backends.map((backend) => backend.close()));
  ca?.close();
});

/** The TLS listener's port, from the workers' 'worker listening' lines (port 0 picks one). */
async function tlsPortOf(mooring: MooringNode): Promise<number> {
  const line = await mooring.waitForLog(
    (entry) => entry.msg === 'worker listening' && (entry.address as { port?: number }).port !== mooring.port,
  );
  return (line.address as { port: number }).port;
}

/** The certificate the listener presents to a client sending `servername` (or no SNI). */
async function presented(servername: string | undefined): Promise<PeerCertificate> {
  const socket = connectTls({ host: '127.0.0.1', port: tlsPort, servername, ca: ca.ca, rejectUnauthorized: false });
  await once(socket, 'secureConnect');
  const certificate = socket.getPeerCertificate();
  socket.destroy();
  return certificate;
}

function openWss(path: string, servername = 'chat.example.test'): Promise<WebSocket> {
  // ws hands `servername` to tls.connect; its types do not list it.
  const options: WebSocket.ClientOptions & { servername: string } = {
    ca: ca.ca,
    servername,
    headers: { host: servername },
  };
  const ws = new WebSocket(`wss://127.0.0.1:${tlsPort}${path}`, options);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function echo(ws: WebSocket, text: string): Promise<string> {
  ws.send(text);
  const [data] = (await once(ws, 'message')) as [Buffer];
  return data.toString();
}

describe('wss:// termination', () => {
  it('echoes through Mooring to an https:// backend verified against --backend-ca', async () => {
    const ws = await openWss('/echo');
    expect(await echo(ws, 'over tls both ways')).toBe('over tls both ways');
    ws.close();
  });

  it('chooses the certificate by SNI, exact or wildcard, and the first one without SNI', async () => {
    expect((await presented('apps.example.test')).fingerprint256).toBe(apps.fingerprint);
    expect((await presented('x.chat.example.test')).fingerprint256).toBe(first.fingerprint);
    expect((await presented('unknown.example.test')).fingerprint256).toBe(first.fingerprint);
    expect((await presented(undefined)).fingerprint256).toBe(first.fingerprint);
  });

  it('says https to the backend and marks the sticky cookie Secure on TLS only', async () => {
    const response = await fetchOverTls('/headers');
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).headers['x-forwarded-proto']).toBe('https');
    expect(response.headers['set-cookie']).toMatch(/; Secure/);
  });

  it('exposes the expiry of each certificate as a metric', async () => {
    const text = await (await fetch(`${node.adminUrl}/metrics`)).text();
    const line = text
      .split('\n')
      .find((entry) =>
        entry.startsWith(`mooring_tls_certificate_expiry_timestamp_seconds{name="${listenerFiles.cert}"}`),
      );
    const expiry = Number(line?.split(' ').at(-1));
    expect(expiry * 1000).toBe(Date.parse(new X509Certificate(first.cert).validTo));
  });

  it('closes plaintext HTTP sent to the TLS port and keeps serving', async () => {
    const socket = connect({ host: '127.0.0.1', port: tlsPort });
    await once(socket, 'connect');
    socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    socket.resume();
    await once(socket, 'close');
    const ws = await openWss('/after-garbage');
    expect(await echo(ws, 'still here')).toBe('still here');
    ws.close();
  });
});

describe('certificate reload', () => {
  it('swaps the certificate on disk and on SIGHUP under 30 live wss:// sessions, none of them dropped', async () => {
    const sessions = await Promise.all(Array.from({ length: 30 }, (_, i) => openWss(`/live-${i}`)));
    const closed: number[] = [];
    for (const ws of sessions) ws.once('close', (code) => closed.push(code));
    const renewed = ca.issue('renewed', ['chat.example.test', '*.chat.example.test']);
    copyFileSync(renewed.keyFile, listenerFiles.key);
    copyFileSync(renewed.certFile, listenerFiles.cert);
    await expect
      .poll(async () => (await presented('chat.example.test')).fingerprint256, { timeout: 10_000 })
      .toBe(renewed.fingerprint);
    for (const [i, ws] of sessions.entries())
      expect(await echo(ws, `after file change ${i}`)).toBe(`after file change ${i}`);

    const again = ca.issue('again', ['chat.example.test', '*.chat.example.test']);
    copyFileSync(again.keyFile, listenerFiles.key);
    copyFileSync(again.certFile, listenerFiles.cert);
    process.kill(node.pid, 'SIGHUP');
    await node.waitForLog((line) => line.msg === 'SIGHUP: configuration applied in place, no worker replaced');
    await expect
      .poll(async () => (await presented('chat.example.test')).fingerprint256, { timeout: 10_000 })
      .toBe(again.fingerprint);
    for (const [i, ws] of sessions.entries()) expect(await echo(ws, `after SIGHUP ${i}`)).toBe(`after SIGHUP ${i}`);
    expect(closed).toEqual([]);
    await Promise.all(sessions.map((ws) => new Promise((resolve) => (ws.once('close', resolve), ws.close()))));
  });

  it('a SIGHUP that replaces the workers leaves wss:// tunnels with the old ones, open and echoing, until they end', async () => {
    const sessions = await Promise.all(Array.from({ length: 10 }, (_, i) => openWss(`/kept-${i}`)));
    const closed: number[] = [];
    for (const ws of sessions) ws.once('close', (code) => closed.push(code));
    const from = node.logs.length;
    // Nothing changed: the workers are replaced (how new code on disk is picked up).
    process.kill(node.pid, 'SIGHUP');
    const handovers = (): LogLine[] =>
      node.logs.slice(from).filter((line) => line.msg === 'websocket tunnels handed over to the successor');
    await expect.poll(() => handovers().length, { timeout: 20_000 }).toBe(2);
    // TLS sockets cannot move between processes: nothing moved, every tunnel kept where it was.
    expect(handovers().reduce((sum, line) => sum + Number(line.moved), 0)).toBe(0);
    expect(handovers().reduce((sum, line) => sum + Number(line.kept), 0)).toBe(10);
    for (const [i, ws] of sessions.entries()) expect(await echo(ws, `kept ${i}`)).toBe(`kept ${i}`);
    expect(closed).toEqual([]);
    await Promise.all(sessions.map((ws) => new Promise((resolve) => (ws.once('close', resolve), ws.close()))));
    // With their last tunnel gone the old workers exit, long before the deadline.
    await expect
      .poll(() => node.logs.slice(from).filter((line) => line.msg === 'retired worker exited').length, {
        timeout: 15_000,
      })
      .toBe(2);
  });

  it('keeps the current certificate when the new file does not match its key', async () => {
    const current = (await presented('chat.example.test')).fingerprint256;
    const stray = ca.issue('stray', ['chat.example.test']);
    copyFileSync(stray.certFile, listenerFiles.cert); // the key on disk is another one's
    await node.waitForLog((line) => line.msg === 'TLS reload failed, keeping the current certificates', 10_000);
    expect((await presented('chat.example.test')).fingerprint256).toBe(current);
  });
});

describe('https:// backends', () => {
  it('refuses a backend whose certificate no CA vouches for with MOORING_ERR_BACKEND_TLS, and the next candidate serves', async () => {
    const unknown = ca.selfSigned('unknown-ca', ['127.0.0.1']);
    const rogue = await startTestBackend({ name: 'rogue', tls: { cert: unknown.cert, key: unknown.key } });
    backends.push(rogue);
    const only = await startMooringNode({
      workers: 1,
      args: ['--backend-ca', ca.caFile, '--backend', `rogue=${rogue.url}`],
    });
    try {
      const refused = await fetch(`${only.url}/x`);
      expect(refused.status).toBe(502);
      expect(((await refused.json()) as { code: string }).code).toBe('MOORING_ERR_BACKEND_TLS');
    } finally {
      await only.stop();
    }
    const pair = await startMooringNode({
      workers: 1,
      args: [
        '--backend-ca',
        ca.caFile,
        '--balance',
        'round-robin',
        '--backend',
        `a-rogue=${rogue.url}`,
        '--backend',
        `b-good=${backends[0]!.url}`,
      ],
    });
    try {
      for (let i = 0; i < 4; i++) {
        const response = await fetch(`${pair.url}/y${i}`);
        expect(response.status).toBe(200);
        expect(((await response.json()) as { backend: string }).backend).toBe('tls-backend');
      }
      await pair.waitForLog((line) => line.msg === 'backend TLS handshake failed' && line.backend === 'a-rogue');
    } finally {
      await pair.stop();
    }
  });
});

/** One HTTPS request to the TLS listener, with the test CA. */
async function fetchOverTls(path: string): Promise<{ status: number; headers: Record<string, string>; body: string }> {
  const socket = connectTls({ host: '127.0.0.1', port: tlsPort, servername: 'chat.example.test', ca: ca.ca });
  await once(socket, 'secureConnect');
  socket.write(`GET ${path} HTTP/1.1\r\nHost: chat.example.test\r\nConnection: close\r\n\r\n`);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  await once(socket, 'end');
  const text = Buffer.concat(chunks).toString('utf8');
  const [head = '', body = ''] = text.split('\r\n\r\n');
  const [status = '', ...lines] = head.split('\r\n');
  const headers = Object.fromEntries(
    lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
  );
  return { status: Number(status.split(' ')[1]), headers, body };
}
