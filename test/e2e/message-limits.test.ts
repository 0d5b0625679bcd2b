import {
  clientFrame,
  RawWebSocket,
  startMooringNode,
  startTestBackend,
  type MooringNode,
  type TestBackend,
} from '@mooring/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';

// A frame header announces its payload length before any payload (RFC 6455 §5.2): a frame over
// a limit is stopped as soon as its header is read, and no byte of it reaches the backend.
let backend: TestBackend;
const nodes: MooringNode[] = [];
beforeAll(async () => {
  backend = await startTestBackend({ name: 'limited' });
});
afterEach(() => backend.resetCounters());
afterAll(async () => {
  await Promise.all(nodes.map((node) => node.stop()));
  await backend?.close();
});
const start = async (args: string[]): Promise<MooringNode> => {
  const node = await startMooringNode({ workers: 1, args: ['--backend', `limited=${backend.url}`, ...args] });
  nodes.push(node);
  return node;
};

const binary = 0x2;
const text = 0x1;
const eightMiB = Buffer.alloc(8 * 1024 * 1024, 7);

describe('--max-message-size', () => {
  let node: MooringNode;
  beforeAll(async () => {
    node = await start(['--max-message-size', '65536']);
  });

  it('never forwards a frame over the limit written in one go: 1009, and the backend gets none of it', async () => {
    const client = await RawWebSocket.open(node.port, '/big');
    client.write(clientFrame(text, Buffer.from('small one')));
    client.write(clientFrame(binary, eightMiB));
    expect(await client.closeCode()).toBe(1009);
    await expect.poll(() => backend.closeCodes).toEqual([1009]);
    expect(backend.messagesReceived).toBe(1);
  });

  it('never forwards a frame over the limit whose header is dribbled byte by byte', async () => {
    const client = await RawWebSocket.open(node.port, '/dribbled');
    const frame = clientFrame(binary, eightMiB);
    await client.dribble(frame.subarray(0, 14));
    client.write(frame.subarray(14));
    expect(await client.closeCode()).toBe(1009);
    await expect.poll(() => backend.closeCodes).toEqual([1009]);
    expect(backend.messagesReceived).toBe(0);
  });

  it('stops a fragmented message at the fragment that crosses the limit', async () => {
    const client = await RawWebSocket.open(node.port, '/fragments');
    const fragment = Buffer.alloc(40_000, 1);
    client.write(
      Buffer.concat([
        clientFrame(binary, fragment, { fin: false }),
        clientFrame(0x0, fragment, { fin: false }),
        clientFrame(0x0, fragment),
      ]),
    );
    expect(await client.closeCode()).toBe(1009);
    await expect.poll(() => backend.closeCodes).toEqual([1009]);
    expect(backend.messagesReceived).toBe(0);
  });
});

describe('--max-message-rate', () => {
  let node: MooringNode;
  beforeAll(async () => {
    node = await start(['--max-message-rate', '20']);
  });

  it('forwards only the burst of 2,000 messages written in one chunk: 1008 after it', async () => {
    const client = await RawWebSocket.open(node.port, '/burst');
    const burst = Buffer.concat(
      Array.from({ length: 2_000 }, (_, i) => clientFrame(text, Buffer.from(`message ${i}`))),
    );
    client.write(burst);
    expect(await client.closeCode()).toBe(1008);
    await expect.poll(() => backend.closeCodes).toEqual([1008]);
    expect(backend.messagesReceived).toBe(20);
  });

  it('forwards only the burst when the messages are dribbled', async () => {
    const client = await RawWebSocket.open(node.port, '/dribbled-burst');
    const burst = Buffer.concat(Array.from({ length: 40 }, (_, i) => clientFrame(text, Buffer.from(`m${i}`))));
    await client.dribble(burst);
    expect(await client.closeCode()).toBe(1008);
    await expect.poll(() => backend.closeCodes).toEqual([1008]);
    // Dribbling takes a moment: the bucket may have refilled by a token or two meanwhile.
    expect(backend.messagesReceived).toBeGreaterThanOrEqual(20);
    expect(backend.messagesReceived).toBeLessThan(40);
  });
});
