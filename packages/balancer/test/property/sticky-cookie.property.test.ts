import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createCookieCodec,
  readCookie,
  serializeSetCookie,
  type DecodedCookie,
} from '../../src/routing/sticky-cookie.js';
import { propertySettings } from './fast-check-settings.js';

/** A backend id as the config schema accepts it. */
const backendIdArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/);
/** Any well-formed Unicode, for ids and secrets that the codec itself allows. */
const unicodeArb = (maxLength: number) => fc.string({ unit: 'binary', minLength: 1, maxLength });
const secretsArb = fc.uniqueArray(unicodeArb(40), { minLength: 1, maxLength: 4 });

const base64urlChars = [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'];
/** Characters that matter to the value's grammar: its alphabet, its separator and near misses. */
const valueCharArb = fc.constantFrom(...base64urlChars, '.', '=', '+', '/', ';', ' ', '"', 'é', '\u0000');
/** Single UTF-16 code units, lone surrogates included, which `unit: 'binary'` never produces. */
const codeUnitArb = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));

/** What a client can put in the cookie: noise, near-valid shapes, lengths far beyond the 1024 limit. */
const hostileValueArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 64 }),
  fc.string({ unit: codeUnitArb, maxLength: 64 }),
  fc.string({ unit: valueCharArb, maxLength: 80 }),
  fc
    .tuple(
      fc.string({ unit: valueCharArb, maxLength: 40 }),
      fc.string({ unit: valueCharArb, minLength: 20, maxLength: 24 }),
    )
    .map(([id, mac]) => `v1.${id}.${mac}`),
  fc
    .tuple(fc.constantFrom('A', 'Ab', 'é', '.', ';='), fc.integer({ min: 300, max: 100_000 }))
    .map(([piece, times]) => `v1.${piece.repeat(times)}.${'A'.repeat(22)}`),
);

function isDecodedCookie(result: DecodedCookie): boolean {
  if ('backendId' in result) return typeof result.backendId === 'string' && typeof result.resign === 'boolean';
  return result.error === 'malformed' || result.error === 'bad-signature';
}

describe('cookie codec properties', () => {
  it('never throws on any string, and nothing that encode did not produce names a backend', () => {
    fc.assert(
      fc.property(secretsArb, hostileValueArb, (secrets, value) => {
        const codec = createCookieCodec({ secrets });
        const result = codec.decode(value);
        expect(isDecodedCookie(result)).toBe(true);
        // A forgery would need a 128-bit MAC: random input never gets one.
        expect(result).not.toHaveProperty('backendId');
      }),
      propertySettings(400),
    );
  });

  it('round-trips every valid backend id, on any node holding the secrets, through Set-Cookie and Cookie', () => {
    const idArb = fc.oneof({ weight: 3, arbitrary: backendIdArb }, unicodeArb(64));
    fc.assert(
      fc.property(secretsArb, idArb, (secrets, id) => {
        const value = createCookieCodec({ secrets }).encode(id);
        // RFC 6265 §4.1.1 cookie-octets only, so the value is never quoted or escaped.
        expect(value).toMatch(/^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
        const setCookie = serializeSetCookie(value, { name: 'mooring', path: '/', httpOnly: true, secure: false });
        expect(setCookie.startsWith(`mooring=${value}; `)).toBe(true);
        const echoed = readCookie(`theme=dark; mooring=${value}; other=1`, 'mooring');
        expect(createCookieCodec({ secrets }).decode(echoed!)).toEqual({ backendId: id, resign: false });
      }),
      propertySettings(300),
    );
  });

  /**
   * One edit of a value: replace, delete or insert a character, shift a base64url character to a
   * near neighbour in the alphabet (a change of a few low bits), truncate, or append.
   */
  type Mutation =
    | { readonly kind: 'replace' | 'insert'; readonly at: number; readonly char: string }
    | { readonly kind: 'shift'; readonly at: number; readonly by: number }
    | { readonly kind: 'delete' | 'truncate'; readonly at: number }
    | { readonly kind: 'append'; readonly text: string };
  // Positions are biased to the last characters too: the MAC's last one carries 4 unused bits,
  // the place where a lenient base64url decoder lets two texts verify as one.
  const positionArb = fc.oneof(
    fc.nat(),
    fc.integer({ min: 1, max: 3 }).map((fromEnd) => -fromEnd),
  );
  const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
    fc.record({ kind: fc.constantFrom('replace' as const, 'insert' as const), at: positionArb, char: valueCharArb }),
    fc.record({ kind: fc.constant('shift' as const), at: positionArb, by: fc.integer({ min: 1, max: 15 }) }),
    fc.record({ kind: fc.constantFrom('delete' as const, 'truncate' as const), at: positionArb }),
    fc.record({
      kind: fc.constant('append' as const),
      text: fc.string({ unit: valueCharArb, minLength: 1, maxLength: 4 }),
    }),
  );

  function mutate(value: string, mutation: Mutation): string {
    if (mutation.kind === 'append') return value + mutation.text;
    const at = ((mutation.at % value.length) + value.length) % value.length;
    switch (mutation.kind) {
      case 'replace':
        return value.slice(0, at) + mutation.char + value.slice(at + 1);
      case 'shift': {
        const index = base64urlChars.indexOf(value[at]!);
        const char = index < 0 ? value[at]! : base64urlChars[(index + mutation.by) % 64]!;
        return value.slice(0, at) + char + value.slice(at + 1);
      }
      case 'insert':
        return value.slice(0, at) + mutation.char + value.slice(at);
      case 'delete':
        return value.slice(0, at) + value.slice(at + 1);
      case 'truncate':
        return value.slice(0, at);
    }
  }

  it('rejects every edit of a valid value, even after the valid value was memoized', () => {
    fc.assert(
      fc.property(
        secretsArb,
        backendIdArb,
        fc.array(mutationArb, { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 3 }),
        (secrets, id, mutations, cacheSize) => {
          const codec = createCookieCodec({ secrets, cacheSize });
          const valid = codec.encode(id);
          const edited = mutations.reduce(mutate, valid);
          // The one edit that is allowed to verify: none at all (e.g. a character replaced by itself).
          fc.pre(edited !== valid);
          expect(codec.decode(valid)).toEqual({ backendId: id, resign: false });
          expect(codec.decode(edited)).toHaveProperty('error');
          expect(codec.decode(valid)).toEqual({ backendId: id, resign: false });
        },
      ),
      propertySettings(400),
    );
  });

  it('accepts a value signed by any earlier secret still listed, asking to re-sign it; refuses any other', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(unicodeArb(40), { minLength: 3, maxLength: 5 }),
        fc.nat(),
        backendIdArb,
        (allSecrets, pick, id) => {
          // The last secret is the outsider's: it signs, but the node does not hold it.
          const secrets = allSecrets.slice(0, -1);
          const previous = 1 + (pick % (secrets.length - 1));
          const codec = createCookieCodec({ secrets });
          const oldValue = createCookieCodec({ secrets: [secrets[previous]!] }).encode(id);
          expect(codec.decode(oldValue)).toEqual({ backendId: id, resign: true });
          expect(codec.decode(codec.encode(id))).toEqual({ backendId: id, resign: false });
          const outsider = createCookieCodec({ secrets: [allSecrets.at(-1)!] }).encode(id);
          expect(codec.decode(outsider)).toEqual({ error: 'bad-signature' });
        },
      ),
      propertySettings(200),
    );
  });
});

const tokenArb = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,12}$/);
/** RFC 6265 §4.1.1 cookie-octet: no whitespace, `"`, `,`, `;` or `\`. */
const cookieOctetsArb = fc.stringMatching(/^[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]{0,20}$/);
const spaceArb = fc.stringMatching(/^[ \t]{0,2}$/);

describe('readCookie properties', () => {
  it('never throws, whatever the header and the name', () => {
    const headerArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom(';', '=', ' ', '"', '%', 'a', 'mooring'), maxLength: 200 }),
      // Long headers of separators only, the worst case for a scan that looks for the next "=".
      fc
        .tuple(fc.constantFrom(';', '=', ' ;', 'a;', '"'), fc.integer({ min: 1_000, max: 20_000 }))
        .map(([piece, times]) => piece.repeat(times)),
    );
    fc.assert(
      fc.property(headerArb, fc.oneof(tokenArb, fc.string({ unit: codeUnitArb, maxLength: 8 })), (header, name) => {
        const value = readCookie(header, name);
        expect(value === undefined || typeof value === 'string').toBe(true);
      }),
      propertySettings(300),
    );
  });

  it('returns the value of the first pair with the name, unquoted and trimmed, skipping pieces without "="', () => {
    const pairArb = fc.record({
      before: spaceArb,
      name: tokenArb,
      around: spaceArb,
      value: cookieOctetsArb,
      quoted: fc.boolean(),
      after: spaceArb,
    });
    // Pieces without "=": any token, or the asked name itself, alone or with a character more.
    const pieceArb = fc.oneof(
      { weight: 4, arbitrary: pairArb.map((pair) => ({ pair })) },
      tokenArb.map((junk) => ({ junk })),
      fc.constantFrom('', 'x', ' ').map((suffix) => ({ nameThen: suffix })),
    );
    const otherNameArb = fc.option(tokenArb, { nil: undefined });
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 8 }), otherNameArb, fc.nat(), (pieces, other, pick) => {
        const pairs = pieces.flatMap((piece) => ('pair' in piece ? [piece.pair] : []));
        // Ask for a name the header holds, usually, and otherwise for any token.
        const name = other ?? pairs[pick % Math.max(1, pairs.length)]?.name ?? 'mooring';
        const header = pieces
          .map((piece) => {
            if ('junk' in piece) return piece.junk;
            if ('nameThen' in piece) return `${name}${piece.nameThen}`;
            const { before, name: pairName, around, value, quoted, after } = piece.pair;
            return `${before}${pairName}${around}=${around}${quoted ? `"${value}"` : value}${after}`;
          })
          .join(';');
        expect(readCookie(header, name)).toBe(pairs.find((pair) => pair.name === name)?.value);
      }),
      propertySettings(400),
    );
  });
});
