import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ProxyServer } from '../../src/proxy/proxy-server.js';
import type { StreamHandle } from '../../src/proxy/websocket/socket-handle.js';
import type { WebSocketSession } from '../../src/proxy/websocket/websocket-session.js';
import { HandoverSender } from '../../src/supervisor/handover-sender.js';
import type { WorkerToPrimary } from '../../src/supervisor/ipc-messages.js';

type Pending = { code: number; reason: 'drain' | 'shutdown' | 'rebalance' } | undefined;

/** A stand-in for an open session: it records what the sender did with it. */
function fakeSession(id: string, options: { rests?: boolean; closeWhileMoving?: Pending } = {}) {
  const handle = (): StreamHandle => ({ reading: true, readStart: () => 0, readStop: () => 0, close: () => {} });
  const outcome: string[] = [];
  let open = true;
  const session = {
    id,
    outcome,
    get movable() {
      return open;
    },
    get isOpen() {
      return open;
    },
    prepareHandover: async () => {
      if (options.rests === false) return undefined;
      // The sockets' handles are what goes over IPC: fake sockets exposing one.
      const socket = () => ({ _handle: handle() });
      return { parcel: { id }, client: socket(), backend: socket() };
    },
    handedOver: () => {
      open = false;
      outcome.push('handed over');
      return options.closeWhileMoving;
    },
    handoverFailed: () => void outcome.push('kept'),
  };
  return session;
}

function sender(sessions: ReturnType<typeof fakeSession>[], answer: (id: string) => boolean | undefined) {
  const sent: WorkerToPrimary[] = [];
  const flushes: number[] = [];
  const proxy = {
    movableSessions: () => sessions.filter((session) => session.movable),
    sessions: new Set(sessions),
  } as unknown as ProxyServer;
  const ref: { handover?: HandoverSender } = {};
  const channel = {
    send: (message: WorkerToPrimary) => void sent.push(message),
    sendHandle: async (message: WorkerToPrimary) => {
      sent.push(message);
      if (message.type === 'handover-socket' && message.side === 'backend') {
        const adopted = answer(message.id);
        if (adopted !== undefined) queueMicrotask(() => ref.handover?.answered(message.id, adopted));
      }
    },
  };
  const handover = new HandoverSender(proxy, channel, 9, pino({ level: 'silent' }), () => flushes.push(sent.length));
  ref.handover = handover;
  return { handover, sent, flushes };
}

describe('HandoverSender', () => {
  it('sends each tunnel as its client socket (with the parcel) then its backend socket, and lets go once taken', async () => {
    const sessions = ['a', 'b', 'c'].map((id) => fakeSession(id));
    const { handover, sent, flushes } = sender(sessions, () => true);
    expect(await handover.run()).toEqual({ moved: 3, kept: 0 });
    for (const session of sessions) expect(session.outcome).toEqual(['handed over']);
    const bySession = (id: string) => sent.filter((message) => 'id' in message && message.id === id);
    for (const id of ['a', 'b', 'c'])
      expect(
        bySession(id).map((message) => [message.type, 'side' in message && message.side, 'parcel' in message]),
      ).toEqual([
        ['handover-socket', 'client', true],
        ['handover-socket', 'backend', false],
      ]);
    expect(sent.every((message) => message.type !== 'handover-socket' || message.to === 9)).toBe(true);
    // The session reports are flushed before each tunnel's first socket goes.
    expect(flushes).toHaveLength(3);
  });

  it('keeps a tunnel the successor refuses, and one that does not come to rest', async () => {
    const refused = fakeSession('refused');
    const restless = fakeSession('restless', { rests: false });
    const taken = fakeSession('taken');
    const { handover } = sender([refused, restless, taken], (id) => id === 'taken');
    expect(await handover.run()).toEqual({ moved: 1, kept: 2 });
    expect([refused.outcome, restless.outcome, taken.outcome]).toEqual([['kept'], [], ['handed over']]);
  });

  it('passes a close asked while the tunnel moved on to the successor', async () => {
    const closing = fakeSession('closing', { closeWhileMoving: { code: 1012, reason: 'drain' } });
    const { handover, sent } = sender([closing], () => true);
    await handover.run();
    expect(sent.filter((message) => message.type === 'close-moved')).toEqual([
      { type: 'close-moved', to: 9, id: 'closing', code: 1012, reason: 'drain' },
    ]);
  });

  it('moves a tunnel whose handshake completes after the handover began', async () => {
    const late = fakeSession('late');
    const { handover, sent } = sender([], () => true);
    expect(await handover.run()).toEqual({ moved: 0, kept: 0 });
    handover.offer(late as unknown as WebSocketSession);
    await expect.poll(() => late.outcome).toEqual(['handed over']);
    expect(sent.filter((message) => message.type === 'handover-socket')).toHaveLength(2);
  });
});
