import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config/schema.js';
import { isSendableCloseCode } from '../../src/protocol/close-codes.js';
import { closeFrame } from '../../src/protocol/close-frame.js';

// The edges of RFC 6455 §7.4: every consumer of a close code must agree with the one predicate,
// or a code accepted at the edge (config, CLI) crashes the close-frame builder later.
const table: [code: number, sendable: boolean][] = [
  [999, false],
  [1000, true],
  [1004, false],
  [1005, false],
  [1006, false],
  [1012, true],
  [1014, true],
  [1015, false],
  [1016, false],
  [2000, false],
  [2999, false],
  [3000, true],
  [4999, true],
  [5000, false],
  [1012.5, false],
  [Number.NaN, false],
];

describe('isSendableCloseCode', () => {
  it.each(table)('%s: sendable %s', (code, sendable) => {
    expect(isSendableCloseCode(code)).toBe(sendable);
  });

  it.each(table)('%s: the config schema agrees (%s)', (code, sendable) => {
    expect(configSchema.safeParse({ closeCode: code }).success).toBe(sendable);
  });

  it.each(table)('%s: the close-frame builder agrees (%s)', (code, sendable) => {
    if (sendable) expect(closeFrame(code, '', false).readUInt16BE(2)).toBe(code);
    else expect(() => closeFrame(code, '', false)).toThrow(RangeError);
  });
});
