import type { Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { clientFrame } from '@mooring/testkit';
import type { FrameHeader } from '../../../src/protocol/frame-header.js';
import {
  InspectingRelay,
  type MessageVerdict,
  type RelayPolicy,
} from '../../../src/proxy/websocket/inspecting-relay.js';

/** A relay between two in-memory streams: each write to `source` is one chunk the relay sees. */
function relayOf(policy: Partial<RelayPolicy> = {}) {
  const source = new PassThrough();
  const sink = new PassThrough();
  const received: Buffer[] = [];
  sink.on('data', (chunk: Buffer) => received.push(chunk));
  const refused: number[] = [];
  const messages: Array<{ text: boolean; payload: string }> = [];
  const full: RelayPolicy = {
    onDataHeader: () => undefined,
    inspect: false,
    holdLimit: 1 << 20,
    onMessage: (text, _compressed, payload): MessageVerdict => {
      messages.push({ text, payload: payload.toString() });
      return { kind: 'forward' };
    },
    dropControl: () => false,
    onRefused: (code) => refused.push(code),
    ...policy,
  };
  const relay = new InspectingRelay(source as unknown as Socket, sink as unknown as Socket, full);
  relay.start();
  return { source, relay, refused, messages, forwarded: () => Buffer.concat(received) };
}

async function feed(source: PassThrough, stream: Buffer, cuts: readonly number[] = []): Promise<void> {
  let from = 0;
  for (const to of [...cuts, stream.length]) {
    source.write(stream.subarray(from, to));
    from = to;
  }
  await new Promise((resolve) => setImmediate(resolve));
}

const text = (payload: string, options: { fin?: boolean } = {}) => clientFrame(0x1, Buffer.from(payload), options);
const continuation = (payload: string, options: { fin?: boolean } = {}) =>
  clientFrame(0x0, Buffer.from(payload), options);
const ping = (payload: string) => clientFrame(0x9, Buffer.from(payload));
const pong = (payload: string) => clientFrame(0xa, Buffer.from(payload));
const close = () => clientFrame(0x8, Buffer.from([0x03, 0xe8]));
const everyCut = (length: number) => Array.from({ length: length - 1 }, (_, i) => i + 1);

describe('InspectingRelay', () => {
  const stream = Buffer.concat([text('one'), clientFrame(0x2, Buffer.alloc(300, 7)), ping('p'), text('three')]);

  it('forwards every byte unchanged when nothing is refused, however the reads split them', async () => {
    for (let cut = 1; cut < stream.length; cut++) {
      const { source, relay, forwarded } = relayOf();
      await feed(source, stream, [cut]);
      expect(Buffer.compare(forwarded(), stream), `cut at ${cut}`).toBe(0);
      expect(relay.messages).toBe(3);
    }
  });

  it('stops at the header of a frame a limit refuses: none of it, nor anything after, is forwarded', async () => {
    const frames = [text('ok'), text('x'.repeat(200)), text('after')];
    const limit = (header: FrameHeader) => (header.payloadLength > 100 ? 1009 : undefined);
    const { source, refused, forwarded } = relayOf({ onDataHeader: limit });
    await feed(source, Buffer.concat(frames), everyCut(Buffer.concat(frames).length));
    expect(Buffer.compare(forwarded(), frames[0]!)).toBe(0);
    expect(refused).toEqual([1009]);
  });

  it('holds a fragmented message until it is complete, with an interleaved ping kept in its place', async () => {
    const frames = [
      text('frag', { fin: false }),
      ping('in between'),
      continuation('ment', { fin: false }),
      continuation('ed'),
    ];
    const { source, messages, forwarded } = relayOf({ inspect: true });
    await feed(source, Buffer.concat(frames.slice(0, 3)));
    expect(forwarded().length).toBe(0);
    await feed(source, frames[3]!);
    expect(messages).toEqual([{ text: true, payload: 'fragmented' }]);
    expect(Buffer.compare(forwarded(), Buffer.concat(frames))).toBe(0);
  });

  it('forwards nothing of a held message that its verdict refuses', async () => {
    const { source, refused, forwarded } = relayOf({
      inspect: true,
      onMessage: (_text, _compressed, payload) =>
        payload.includes('evil') ? { kind: 'close', code: 1008 } : { kind: 'forward' },
    });
    const fine = text('fine');
    await feed(source, Buffer.concat([fine, text('ev', { fin: false }), continuation('il'), text('later')]));
    expect(Buffer.compare(forwarded(), fine)).toBe(0);
    expect(refused).toEqual([1008]);
  });

  it('refuses a held message that outgrows the hold limit, at the fragment that crosses it', async () => {
    const { source, refused, forwarded } = relayOf({ inspect: true, holdLimit: 10 });
    await feed(source, Buffer.concat([text('123456', { fin: false }), continuation('789012')]));
    expect(forwarded().length).toBe(0);
    expect(refused).toEqual([1009]);
  });

  it('drops the control frames the policy claims (its own pongs) and passes the others', async () => {
    const { source, forwarded } = relayOf({
      dropControl: (opcode, payload) => opcode === 0xa && payload.toString() === 'mooring',
    });
    const passing = [pong('the app'), text('x')];
    await feed(source, Buffer.concat([pong('mooring'), ...passing]), [3, 9]);
    expect(Buffer.compare(forwarded(), Buffer.concat(passing))).toBe(0);
  });

  it('seals after the frame being streamed, then forwards nothing but notices the close frame', async () => {
    const big = clientFrame(0x2, Buffer.alloc(1000, 1));
    const { source, relay, forwarded } = relayOf();
    await feed(source, big.subarray(0, 400));
    let changes = 0;
    relay.seal(Buffer.from('CLOSE'), () => changes++);
    expect(relay.sealed).toBe(false);
    await feed(source, Buffer.concat([big.subarray(400), text('dropped'), close()]));
    expect(relay.sealed).toBe(true);
    expect(relay.closeSeen).toBe(true);
    expect(Buffer.compare(forwarded(), Buffer.concat([big, Buffer.from('CLOSE')]))).toBe(0);
    expect(changes).toBeGreaterThanOrEqual(2);
  });

  it('seals at once when a message is held: the uninspected message is dropped', async () => {
    const { source, relay, forwarded } = relayOf({ inspect: true });
    await feed(source, text('held', { fin: false }));
    relay.seal(Buffer.from('CLOSE'), () => undefined);
    await feed(source, continuation('back'));
    expect(forwarded().toString()).toBe('CLOSE');
  });

  it('injects a frame at once between frames, and after the frame in flight otherwise', async () => {
    const big = clientFrame(0x2, Buffer.alloc(100, 1));
    const { source, relay, forwarded } = relayOf();
    relay.inject(Buffer.from('PING1'));
    await feed(source, big.subarray(0, 50));
    relay.inject(Buffer.from('PING2'));
    await feed(source, big.subarray(50));
    expect(Buffer.compare(forwarded(), Buffer.concat([Buffer.from('PING1'), big, Buffer.from('PING2')]))).toBe(0);
  });

  it('relays a stream that breaks RFC 6455 as it is, and seals it by ending the sink', async () => {
    const garbage = Buffer.from([0x83, 0x00, 1, 2, 3]); // reserved opcode 0x3
    const { source, relay, forwarded } = relayOf({ inspect: true });
    await feed(source, garbage);
    expect(Buffer.compare(forwarded(), garbage)).toBe(0);
    expect(relay.atBoundary).toBe(false);
  });
});
