import { randomBytes } from 'node:crypto';
import { describe, it, expect, afterEach } from 'vitest';
import { openRecordingClient, startTestBackend, type RecordingClient, type TestBackend } from '../src/index.js';

let b: TestBackend | undefined;
const clients: RecordingClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.ws.terminate();
  await b?.close();
  b = undefined;
});

async function connect(opts?: Parameters<typeof openRecordingClient>[1]): Promise<RecordingClient> {
  b ??= await startTestBackend({ name: 'echo' });
  const client = await openRecordingClient(b.url.replace('http:', 'ws:') + '/ws', opts);
  clients.push(client);
  return client;
}

describe('recording client against the test backend', () => {
  it('negotiates permessage-deflate and learns the backend from the 101', async () => {
    const client = await connect();
    expect(client.ws.extensions).toContain('permessage-deflate');
    expect(client.upgradeHeaders['sec-websocket-extensions']).toContain('permessage-deflate');
    expect(client.upgradeHeaders['x-backend']).toBe('echo');
    expect(b?.openWebSockets).toBe(1);
  });

  it('does not offer permessage-deflate when told not to', async () => {
    const client = await connect({ perMessageDeflate: false });
    expect(client.upgradeHeaders['sec-websocket-extensions']).toBeUndefined();
  });

  it('echoes a 1 MiB binary message intact, as binary', async () => {
    const client = await connect();
    const payload = randomBytes(1024 * 1024);
    const reply = await client.request(payload);
    expect(Buffer.isBuffer(reply)).toBe(true);
    expect((reply as Buffer).equals(payload)).toBe(true);
  });

  it('echoes text as text and records every message in order', async () => {
    const client = await connect();
    expect(await client.request('one')).toBe('one');
    expect(await client.request('two')).toBe('two');
    expect(client.messages).toEqual(['one', 'two']);
  });

  it('records the close code and reason sent by the backend', async () => {
    const client = await connect();
    await b?.closeAllWebSockets(4000, 'going away for a test');
    expect(await client.closed).toEqual({ code: 4000, reason: 'going away for a test' });
    expect(b?.openWebSockets).toBe(0);
  });

  it('sees 1006 when the backend crashes', async () => {
    const client = await connect();
    b?.destroyAllSockets();
    expect((await client.closed).code).toBe(1006);
    await expect(client.request('x')).rejects.toThrow();
  });

  it('sends the Origin and extra headers', async () => {
    await connect({ origin: 'https://app.example', headers: { 'x-test': 'yes' } });
    expect(b?.lastRequestHeaders?.origin).toBe('https://app.example');
    expect(b?.lastRequestHeaders?.['x-test']).toBe('yes');
  });

  it('closes from the client side with its own code', async () => {
    const client = await connect();
    expect(await client.close(1000, 'bye')).toEqual({ code: 1000, reason: 'bye' });
  });
});
