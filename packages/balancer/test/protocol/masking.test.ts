import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyMask } from '../../src/protocol/masking.js';
import { propertySettings } from '../property/fast-check-settings.js';

const keyArb = fc.uint8Array({ minLength: 4, maxLength: 4 });
const payloadArb = fc.uint8Array({ maxLength: 2_000 });

/** Cut points (sorted, within the payload) from arbitrary integers. */
function cutsOf(length: number, raw: readonly number[]): number[] {
  return [...new Set(raw.map((n) => n % (length + 1)))].sort((a, b) => a - b);
}

describe('applyMask (RFC 6455 §5.3)', () => {
  it('XORs each byte with key[i mod 4], the RFC example included', () => {
    // RFC 6455 §5.7: "Hello" masked with 37 fa 21 3d is 7f 9f 4d 51 58.
    const key = Buffer.from([0x37, 0xfa, 0x21, 0x3d]);
    expect(applyMask(Buffer.from('Hello'), key)).toEqual(Buffer.from([0x7f, 0x9f, 0x4d, 0x51, 0x58]));
    expect(applyMask(Buffer.from([0x7f, 0x9f, 0x4d, 0x51, 0x58]), key).toString()).toBe('Hello');
    // The offset picks up the key where the earlier piece left it.
    expect(applyMask(Buffer.from('llo'), key, 2)).toEqual(Buffer.from([0x4d, 0x51, 0x58]));
    expect(applyMask(Buffer.from('o'), key, 4 * 1_000_001)).toEqual(Buffer.from([0x6f ^ 0x37]));
    expect(applyMask(Buffer.alloc(0), key)).toEqual(Buffer.alloc(0));
  });

  it('masking twice gives back the payload', () => {
    fc.assert(
      fc.property(payloadArb, keyArb, fc.nat(), (payload, key, offset) => {
        const masked = applyMask(payload, key, offset);
        expect(applyMask(masked, key, offset).toString('hex')).toBe(Buffer.from(payload).toString('hex'));
      }),
      propertySettings(300),
    );
  });

  it('unmasking in arbitrary pieces, each at its offset, equals unmasking the whole', () => {
    fc.assert(
      fc.property(payloadArb, keyArb, fc.array(fc.nat(), { maxLength: 12 }), (payload, key, raw) => {
        const whole = applyMask(payload, key);
        const pieces: Buffer[] = [];
        let from = 0;
        for (const to of [...cutsOf(payload.length, raw), payload.length]) {
          pieces.push(applyMask(payload.subarray(from, to), key, from));
          from = to;
        }
        expect(Buffer.concat(pieces).toString('hex')).toBe(whole.toString('hex'));
      }),
      propertySettings(300),
    );
  });

  it('returns a new buffer and leaves its input (a view into a larger buffer) as it was', () => {
    fc.assert(
      fc.property(payloadArb, keyArb, fc.nat({ max: 7 }), (payload, key, offset) => {
        // A view at an odd offset of a larger buffer, as a relay's chunks are.
        const backing = Buffer.concat([Buffer.from([1, 2, 3]), Buffer.from(payload), Buffer.from([4, 5])]);
        const view = backing.subarray(3, 3 + payload.length);
        const before = Buffer.from(backing);
        const keyBefore = Buffer.from(key);
        const out = applyMask(view, key, offset);
        expect(backing.toString('hex')).toBe(before.toString('hex'));
        expect(Buffer.from(key).toString('hex')).toBe(keyBefore.toString('hex'));
        expect(out.length).toBe(payload.length);
        // Not a view of the input either: writing to the result leaves the input alone.
        out.fill(0xaa);
        expect(backing.toString('hex')).toBe(before.toString('hex'));
      }),
      propertySettings(200),
    );
  });
});
