import type { IncomingHttpHeaders } from 'node:http';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  extractHashKey,
  parseHashKeySpec,
  queryParam,
  type HashKeyRequest,
  type HashKeySpec,
} from '../../src/routing/hash-key.js';
import { propertySettings } from './fast-check-settings.js';

const tokenArb = fc.stringMatching(/^[!#$%&'*+\-.^_`|~0-9A-Za-z]{1,16}$/);
/** Single UTF-16 code units, lone surrogates included. */
const codeUnitArb = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const stringOf = (units: readonly string[], maxLength: number) =>
  fc.string({ unit: fc.constantFrom(...units), maxLength });
/** One of `pieces` repeated 1 000 to 30 000 times: beyond Node's 16 KiB default head, as maxHeaderSize allows. */
const repeatedArb = (pieces: readonly string[]) =>
  fc
    .tuple(fc.constantFrom(...pieces), fc.integer({ min: 1_000, max: 30_000 }))
    .map(([piece, times]) => piece.repeat(times));

describe('parseHashKeySpec properties', () => {
  // Mostly near misses of the grammar: known and unknown sources, odd separators and spacing.
  const specTextArb = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.string({ unit: codeUnitArb, maxLength: 30 }),
    {
      weight: 4,
      arbitrary: fc
        .tuple(
          fc.constantFrom('ip', 'header', 'query', 'cookie', 'IP', 'Header', 'uri', ' header', 'cookie ', ''),
          fc.oneof({ weight: 4, arbitrary: fc.constant(':') }, fc.constantFrom('', '::', ' : ', ':\t')),
          fc.oneof(tokenArb, stringOf(['a', 'Z', '-', ' ', '&', '=', '#', ';', ':', 'é', '\n'], 12)),
          fc.constantFrom('', ' ', '\n'),
        )
        .map((parts) => parts.join('')),
    },
  );

  /** What a parsed spec must look like for extractHashKey to be able to match anything. */
  function isUsableSpec(spec: HashKeySpec): boolean {
    switch (spec.source) {
      case 'ip':
        return Object.keys(spec).length === 1;
      case 'header':
        return /^[!#$%&'*+\-.^_`|~0-9a-z]+$/.test(spec.name);
      case 'cookie':
        return /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(spec.name);
      case 'query':
        return spec.name !== '' && !/[&=#\s]/.test(spec.name);
      default:
        return false;
    }
  }

  it('returns a usable spec or throws an Error that quotes the text; nothing else', () => {
    fc.assert(
      fc.property(specTextArb, (text) => {
        let spec: HashKeySpec;
        try {
          spec = parseHashKeySpec(text);
        } catch (err) {
          // Config validation prefixes the field to this message, so it must be an Error with one.
          expect(err).toBeInstanceOf(Error);
          expect((err as Error).message).toContain(JSON.stringify(text));
          return;
        }
        expect(isUsableSpec(spec)).toBe(true);
      }),
      propertySettings(500),
    );
  });
});

// Names chosen to hurt: `constructor` and `__proto__` are tokens that a plain object inherits.
const headerNameArb = fc.oneof(
  fc.constantFrom('cookie', 'x-user-id', 'constructor', '__proto__', 'tostring', 'valueof', 'hasownproperty'),
  tokenArb,
);
const specArb: fc.Arbitrary<HashKeySpec> = fc
  .oneof(
    fc.constant('ip'),
    headerNameArb.map((name) => `header:${name}`),
    fc
      .oneof(
        headerNameArb.filter((name) => !/[&=#]/.test(name)),
        fc.constantFrom('room', 'a', 'é'),
      )
      .map((name) => `query:${name}`),
    fc.oneof(headerNameArb, fc.constantFrom('session', 'mooring')).map((name) => `cookie:${name}`),
  )
  .map(parseHashKeySpec);

const headerTextArb = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  stringOf(['a', 'B', '1', ' ', ';', '=', ',', '"', '%', '\t', 'é', '\uD800'], 40),
  repeatedArb([';', 'a;', '=;', 'session=', ' ; x=1']),
);
const headerValueArb = fc.oneof(
  { weight: 4, arbitrary: headerTextArb },
  fc.array(headerTextArb, { maxLength: 3 }),
  fc.constant(undefined),
);

/** A headers object with any casing of its names (as a hand-built object may have). */
const headersArb: fc.Arbitrary<IncomingHttpHeaders> = fc
  .array(fc.tuple(fc.mixedCase(headerNameArb), headerValueArb), { maxLength: 6 })
  .map((entries) => Object.fromEntries(entries));

// Request targets with broken escapes (`%`, `%G1`, `%E9` alone, lone surrogates) among the delimiters.
const urlArb = fc.oneof(
  stringOf(['%', '2', 'G', 'f', 'E9', 'a', 'room', '=', '&', '?', '#', '+', '/', ' ', 'é', '\uD800'], 30),
  fc.string({ unit: 'binary', maxLength: 30 }).map((rest) => `/?${rest}`),
  repeatedArb(['&', 'room&', '%&', 'a=%&']).map((query) => `/?${query}`),
);
const addressArb = fc.oneof(
  fc.ipV4(),
  fc.ipV6(),
  fc.ipV4().map((ip) => `::ffff:${ip}`),
  fc.ipV4().map((ip) => `::FFFF:${ip}`),
  fc.string({ unit: 'binary', maxLength: 20 }),
);
const requestArb: fc.Arbitrary<HashKeyRequest> = fc.record({
  remoteAddress: addressArb,
  headers: headersArb,
  url: urlArb,
});

describe('extractHashKey properties', () => {
  it('never throws, gives a non-empty string or undefined, the same every time, and leaves the request alone', () => {
    fc.assert(
      fc.property(specArb, requestArb, (spec, request) => {
        const before = structuredClone(request);
        const key = extractHashKey(spec, request);
        expect(key === undefined || (typeof key === 'string' && key !== '')).toBe(true);
        expect(request).toEqual(before);
        expect(extractHashKey(spec, before)).toBe(key);
      }),
      propertySettings(300),
    );
  });

  it('gives the same key whatever the order of the headers', () => {
    // Names are distinct case-insensitively: one header given twice in two casings is two values
    // whose order is itself information (Node joins repeats in arrival order).
    const entriesArb = fc.uniqueArray(fc.tuple(fc.mixedCase(headerNameArb), headerValueArb), {
      maxLength: 6,
      selector: ([name]) => name.toLowerCase(),
    });
    fc.assert(
      fc.property(specArb, entriesArb, fc.array(fc.nat()), urlArb, (spec, entries, sortKeys, url) => {
        const shuffled = entries
          .map((entry, index) => ({ entry, sortKey: sortKeys[index] ?? index }))
          .sort((a, b) => a.sortKey - b.sortKey)
          .map(({ entry }) => entry);
        const request = (list: typeof entries): HashKeyRequest => ({
          remoteAddress: '192.0.2.1',
          headers: Object.fromEntries(list),
          url,
        });
        expect(extractHashKey(spec, request(shuffled))).toBe(extractHashKey(spec, request(entries)));
      }),
      propertySettings(300),
    );
  });
});

describe('queryParam properties', () => {
  // Well-formed targets only: URLSearchParams decodes broken escapes differently (byte by byte)
  // from queryParam (kept as written), on purpose.
  const textArb = fc.oneof(fc.constantFrom('room', 'a', 'é', ''), fc.string({ unit: 'binary', maxLength: 8 }));
  const encodeArb = fc.constantFrom(
    (text: string) => encodeURIComponent(text),
    (text: string) => encodeURIComponent(text).replaceAll('%20', '+'),
    (text: string) => (/^[A-Za-z0-9._~-]*$/.test(text) ? text : encodeURIComponent(text)),
  );
  const pieceArb = fc.record({ name: textArb, value: fc.option(textArb, { nil: undefined }), encode: encodeArb });
  const fragmentArb = fc.option(textArb, { nil: undefined });

  it('agrees with URLSearchParams.get on every well-formed target, with and without a fragment', () => {
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 8 }), fragmentArb, textArb, (pieces, fragment, asked) => {
        const query = pieces
          .map(({ name, value, encode }) => (value === undefined ? encode(name) : `${encode(name)}=${encode(value)}`))
          .join('&');
        const target = `/chat?${query}${fragment === undefined ? '' : `#${fragment}&room=x`}`;
        const params = new URLSearchParams(query);
        // Not "": no spec names it, and the two differ there on purpose (`?&` has an empty name for
        // queryParam, none for URLSearchParams).
        for (const name of [asked, ...pieces.map((piece) => piece.name)].filter((name) => name !== '')) {
          expect(queryParam(target, name) ?? null).toBe(params.get(name));
        }
      }),
      propertySettings(300),
    );
  });

  it('decodes a value as decodeURIComponent does, and keeps it as written where that would throw', () => {
    /** The decoding queryParam promises, written the obvious way. */
    const reference = (text: string): string => {
      const spaced = text.replaceAll('+', ' ');
      try {
        return decodeURIComponent(spaced);
      } catch {
        return spaced;
      }
    };
    // Escapes of valid and broken UTF-8 (a lone lead byte, a surrogate, an overlong form, beyond
    // U+10FFFF), stray `%`, and raw characters, lone surrogates included.
    const pieceArb = fc.oneof(
      fc.constantFrom('%', '%4', '%G1', '%41', '%e9', '%C3%A9', '%C3', '%A9', '%ED%A0%80', '%C0%AF', '%F4%90%80%80'),
      fc.constantFrom('%F0%9F%98%80', '%00', '+', 'a', 'é', '\uD800', '%25', '%2B'),
      fc.integer({ min: 0, max: 255 }).map((byte) => `%${byte.toString(16).padStart(2, '0')}`),
    );
    fc.assert(
      fc.property(fc.array(pieceArb, { maxLength: 8 }), (pieces) => {
        const raw = pieces.join('');
        expect(queryParam(`/?k=${raw}&other=1`, 'k')).toBe(reference(raw));
        expect(queryParam(`/?${raw}=found`, reference(raw))).toBe('found');
      }),
      propertySettings(500),
    );
  });
});
