import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { connect as connectTls, type ConnectionOptions, type TLSSocket } from 'node:tls';
import WebSocket from 'ws';
import { startMooringNode, startTestBackend, type MooringNode, type TestBackend } from '@mooring/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestCertificateAuthority, type TestCertificate } from '../support/certificates.js';

// Client certificates, session resumption across nodes, and a wss:// listener in front of a
// plaintext backend: each node here has its own TLS settings.
let ca: TestCertificateAuthority;
let server: TestCertificate;
let client: TestCertificate;
let backend: TestBackend;
const nodes: MooringNode[] = [];

beforeAll(async () => {
  ca = new TestCertificateAuthority();
  server = ca.issue('server', ['mooring.example.test']);
  client = ca.issue('client', ['client.example.test']);
  backend = await startTestBackend({ name: 'plain' });
});
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  await backend?.close();
  ca?.close();
});

/** A node with a TLS listener in front of the plaintext backend; resolves with its TLS port. */
async function tlsNode(extra: string[]): Promise<{ node: MooringNode; port: number }> {
  const node = await startMooringNode({
    workers: 1,
    args: [
      '--listen-tls',
      '127.0.0.1:0',
      '--tls-cert',
      server.certFile,
      '--tls-key',
      server.keyFile,
      '--backend',
      `plain=${backend.url}`,
      ...extra,
    ],
  });
  nodes.push(node);
  const line = await node.waitForLog(
    (entry) => entry.msg === 'worker listening' && (entry.address as { port: number }).port !== node.port,
  );
  return { node, port: (line.address as { port: number }).port };
}

async function handshake(port: number, options: ConnectionOptions = {}): Promise<TLSSocket> {
  const socket = connectTls({ host: '127.0.0.1', port, servername: 'mooring.example.test', ca: ca.ca, ...options });
  await once(socket, 'secureConnect');
  return socket;
}

describe('a wss:// listener in front of an http:// backend', () => {
  it('echoes, the TLS ending at Mooring', async () => {
    const { port } = await tlsNode([]);
    // ws hands `servername` to tls.connect; its types do not list it.
    const options: WebSocket.ClientOptions & { servername: string } = { ca: ca.ca, servername: 'mooring.example.test' };
    const ws = new WebSocket(`wss://127.0.0.1:${port}/echo`, options);
    await once(ws, 'open');
    ws.send('plain behind tls');
    const [data] = (await once(ws, 'message')) as [Buffer];
    expect(data.toString()).toBe('plain behind tls');
    ws.close();
  });
});

describe('client certificates (--tls-client-auth require)', () => {
  let port: number;
  beforeAll(async () => {
    ({ port } = await tlsNode(['--tls-client-ca', ca.caFile, '--tls-client-auth', 'require']));
  });

  it('refuses a handshake without a client certificate, and the worker carries on', async () => {
    const socket = connectTls({ host: '127.0.0.1', port, servername: 'mooring.example.test', ca: ca.ca });
    // TLS 1.3: the refusal comes after the client's Finished, as an alert ("certificate required").
    const [err] = (await once(socket, 'error')) as [Error];
    expect(err.message).toMatch(/certificate required/);
    const accepted = await handshake(port, { cert: client.cert, key: client.key });
    expect(accepted.authorized).toBe(true);
    accepted.write('GET / HTTP/1.1\r\nHost: mooring.example.test\r\nConnection: close\r\n\r\n');
    const chunks: Buffer[] = [];
    accepted.on('data', (chunk: Buffer) => chunks.push(chunk));
    await once(accepted, 'end');
    expect(Buffer.concat(chunks).toString()).toMatch(/^HTTP\/1\.1 200 /);
  });

  it('refuses a client certificate from another CA', async () => {
    const stranger = new TestCertificateAuthority('Another CA');
    try {
      const foreign = stranger.issue('foreign', ['client.example.test']);
      const socket = connectTls({
        host: '127.0.0.1',
        port,
        servername: 'mooring.example.test',
        ca: ca.ca,
        cert: foreign.cert,
        key: foreign.key,
      });
      socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      // Refused as the handshake ends: an alert, or the connection cut; never an answer.
      await new Promise((resolve) => {
        socket.once('error', resolve);
        socket.once('close', resolve);
      });
      expect(Buffer.concat(chunks).toString()).not.toMatch(/^HTTP/);
    } finally {
      stranger.close();
    }
  });
});

describe('--tls-ticket-key-file shared by two nodes', () => {
  it('lets a client resume through the other node the TLS session the first one gave it', async () => {
    const keyFile = join(ca.dir, 'ticket.key');
    writeFileSync(keyFile, randomBytes(48));
    const a = await tlsNode(['--tls-ticket-key-file', keyFile, '--tls-min-version', 'TLSv1.2']);
    const b = await tlsNode(['--tls-ticket-key-file', keyFile, '--tls-min-version', 'TLSv1.2']);
    // TLS 1.2 keeps the example simple: the session (with its ticket) is there after the handshake.
    const first = await handshake(a.port, { maxVersion: 'TLSv1.2' });
    const session = first.getSession();
    first.destroy();
    expect(session).toBeDefined();
    const resumed = await handshake(b.port, { maxVersion: 'TLSv1.2', session });
    expect(resumed.isSessionReused()).toBe(true);
    resumed.destroy();

    // A node with a key of its own cannot resume it: the ticket key is what makes it work.
    const c = await tlsNode([]);
    const fresh = await handshake(c.port, { maxVersion: 'TLSv1.2', session });
    expect(fresh.isSessionReused()).toBe(false);
    fresh.destroy();
  });
});
