import { describe, expect, it } from 'vitest';
import { MessageLimits } from '../../src/protocol/message-limits.js';

const text = 0x1;
const continuation = 0x0;
const ping = 0x9;

describe('MessageLimits', () => {
  it('sums a fragmented message and refuses it with 1009 once it passes the size', () => {
    const limits = new MessageLimits({ maxMessageSize: 100, maxMessageRate: 0 });
    expect(limits.frame(true, text, 100)).toBe('ok');
    expect(limits.frame(false, text, 60)).toBe('ok');
    expect(limits.frame(false, ping, 125)).toBe('ok'); // control frames between fragments are not counted
    expect(limits.frame(true, continuation, 41)).toBe(1009);
  });

  it('starts counting anew with each message', () => {
    const limits = new MessageLimits({ maxMessageSize: 100, maxMessageRate: 0 });
    for (let i = 0; i < 5; i++) expect(limits.frame(true, text, 90)).toBe('ok');
  });

  it('refuses messages beyond the rate with 1008, and refills with time', () => {
    let now = 0;
    const limits = new MessageLimits({ maxMessageSize: 0, maxMessageRate: 3, now: () => now });
    expect([1, 2, 3, 4].map(() => limits.frame(true, text, 1))).toEqual(['ok', 'ok', 'ok', 1008]);
    now += 1000;
    expect(limits.frame(true, text, 1)).toBe('ok');
    // Fragments of one message are one message.
    expect(limits.frame(false, text, 1)).toBe('ok');
    expect(limits.frame(true, continuation, 1)).toBe('ok');
  });
});
