import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { jsonDepth } from '../../src/protocol/json-depth.js';
import {
  checkContent,
  compileDenyPatterns,
  compileRules,
  inspectsContent,
  ruleForPath,
  type ContentRule,
  type MessageRuleSpec,
} from '../../src/protocol/message-rules.js';
import { ruleSpec } from '../fixtures/message-rule-spec.js';
import { propertySettings } from '../property/fast-check-settings.js';

function rule(options: { utf8?: boolean; json?: { maxDepth: number; maxSize: number }; deny?: string[] }): ContentRule {
  const deny = options.deny ?? [];
  return { utf8: options.utf8 ?? false, json: options.json, deny: compileDenyPatterns(deny), denySources: deny };
}

const text = (value: string | number[]): Buffer =>
  typeof value === 'string' ? Buffer.from(value) : Buffer.from(value);
const deep = (levels: number): string => '['.repeat(levels) + ']'.repeat(levels);

describe('jsonDepth', () => {
  it.each([
    ['', 0],
    ['1', 0],
    ['"text"', 0],
    ['[]', 1],
    ['{}', 1],
    ['[[]]', 2],
    ['[1,[2],[3,[4]]]', 3],
    ['{"a":[{"b":[]}]}', 4],
    ['[[],[],[]]', 2],
    // Brackets inside strings are text.
    ['"[[[[{{{{"', 0],
    ['["]]]]", ["[[{{"]]', 2],
    // An escaped quote does not end the string; an escaped backslash does not escape the quote after it.
    [String.raw`["\"[[[["]`, 1],
    [String.raw`["\\", [[1]]]`, 3],
    [String.raw`["\\\"[[", [1]]`, 2],
    [String.raw`{"k\"[":"v\\"}`, 1],
  ])('%s: %i', (json, depth) => {
    expect(jsonDepth(json, 100)).toBe(depth);
    if (json !== '') expect(() => JSON.parse(json)).not.toThrow();
  });

  it('stops counting once past the limit: limit + 1', () => {
    expect(jsonDepth('[[[[[[', 2)).toBe(3);
    expect(jsonDepth('[[]]', 2)).toBe(2);
    expect(jsonDepth(deep(100_000), 32)).toBe(33);
    // Iterative: even counted to the end, 100 000 levels are no stack overflow.
    expect(jsonDepth(deep(100_000), 1_000_000)).toBe(100_000);
  });

  it('agrees with the depth of the parsed value, for any JSON', () => {
    const depthOf = (value: unknown): number =>
      typeof value === 'object' && value !== null
        ? 1 + Math.max(0, ...Object.values(value as Record<string, unknown>).map(depthOf))
        : 0;
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const json = JSON.stringify(value);
        expect(jsonDepth(json, 100)).toBe(depthOf(value));
      }),
      propertySettings(300),
    );
  });
});

describe('checkContent: UTF-8 (RFC 6455 §8.1)', () => {
  const utf8 = rule({ utf8: true });
  const invalid: Array<[string, number[]]> = [
    ['overlong "/" in two bytes', [0x2f, 0xc0, 0xaf]],
    ['overlong "/" in three bytes', [0xe0, 0x80, 0xaf]],
    ['overlong NUL in four bytes', [0xf0, 0x80, 0x80, 0x80]],
    ['a high surrogate (U+D800)', [0x61, 0xed, 0xa0, 0x80]],
    ['a low surrogate (U+DFFF)', [0xed, 0xbf, 0xbf]],
    ['a surrogate pair encoded as two code points', [0xed, 0xa0, 0xbd, 0xed, 0xb8, 0x80]],
    ['a truncated three-byte sequence at the end', [0x61, 0x62, 0xe2, 0x82]],
    ['a truncated four-byte sequence in the middle', [0xf0, 0x9f, 0x98, 0x61]],
    ['a lone continuation byte', [0x61, 0x80, 0x62]],
    ['beyond U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a five-byte form', [0xf8, 0x88, 0x80, 0x80, 0x80]],
    ['0xFF', [0xff]],
  ];

  it.each(invalid)('%s: 1007', (_name, bytes) => {
    expect(checkContent(utf8, true, text(bytes))).toEqual({ rule: 'utf8', code: 1007 });
    // Binary messages are only subject to the limits.
    expect(checkContent(utf8, false, text(bytes))).toBeUndefined();
  });

  it.each([
    ['ASCII', 'plain text'],
    ['two-, three- and four-byte characters', 'é € 😀 𝄞'],
    ['the largest code point and the last before the surrogates', '\u{10ffff}\ud7ff\ue000'],
    ['nothing at all', ''],
  ])('%s: valid', (_name, value) => {
    expect(checkContent(utf8, true, text(value))).toBeUndefined();
  });

  it('a rule that looks at no content lets anything through; json and deny rules need UTF-8 too', () => {
    const nothing = rule({});
    expect(inspectsContent(nothing)).toBe(false);
    expect(checkContent(nothing, true, text([0xff, 0xfe]))).toBeUndefined();
    for (const strict of [rule({ json: { maxDepth: 4, maxSize: 100 } }), rule({ deny: ['x'] })]) {
      expect(inspectsContent(strict)).toBe(true);
      expect(checkContent(strict, true, text([0x5b, 0xc0, 0xaf, 0x5d]))).toEqual({ rule: 'utf8', code: 1007 });
    }
  });
});

describe('checkContent: JSON', () => {
  const json = (maxDepth: number, maxSize = 1 << 20): ContentRule => rule({ json: { maxDepth, maxSize } });
  const refusal = (detail: string) => ({ rule: 'json', code: 1008, detail });
  const cases: Array<[string, ContentRule, string, ReturnType<typeof refusal> | undefined]> = [
    ['an object', json(4), '{"type":"chat","text":"hi"}', undefined],
    ['a bare number', json(4), '42', undefined],
    ['at the depth limit', json(3), '[[[1]]]', undefined],
    ['one level deeper', json(3), '[[[[1]]]]', refusal('JSON nested deeper than 3')],
    ['objects count as levels too', json(2), '{"a":{"b":{}}}', refusal('JSON nested deeper than 2')],
    ['brackets in a string are not levels', json(1), '["[[[[[[{{{{{{"]', undefined],
    ['escaped quotes keep the string open', json(1), String.raw`["\"[[[[\"{{{{"]`, undefined],
    ['an escaped backslash closes it', json(3), String.raw`["\\", [[[1]]]]`, refusal('JSON nested deeper than 3')],
    ['not well-formed', json(4), '{"a":}', refusal('not well-formed JSON')],
    ['unbalanced', json(4), '[[1]', refusal('not well-formed JSON')],
    ['closing more than it opens', json(4), ']]]][[[[', refusal('not well-formed JSON')],
    ['trailing text', json(4), '{"a":1} x', refusal('not well-formed JSON')],
    ['empty', json(4), '', refusal('not well-formed JSON')],
    ['at the size limit', json(4, 7), '{"a":1}', undefined],
    ['one byte over', json(4, 6), '{"a":1}', refusal('JSON of 7 bytes, more than 6')],
    // Bytes, not characters: "éééé" is 6 characters, 10 bytes.
    ['sized in bytes', json(4, 9), '"éééé"', refusal('JSON of 10 bytes, more than 9')],
  ];

  it.each(cases)('%s', (_name, jsonRule, message, expected) => {
    expect(checkContent(jsonRule, true, text(message))).toEqual(expected);
    expect(checkContent(jsonRule, false, text(message))).toBeUndefined();
  });

  it('refuses 100 000 levels of [[[[ on the depth, before JSON.parse could recurse into them', () => {
    const message = text(deep(100_000));
    expect(checkContent(json(32), true, message)).toEqual(refusal('JSON nested deeper than 32'));
    // Opened and never closed, which JSON.parse would only find at the end.
    expect(checkContent(json(32), true, text('['.repeat(100_000)))).toEqual(refusal('JSON nested deeper than 32'));
    expect(checkContent(json(32), false, message)).toBeUndefined();
  });
});

describe('checkContent: deny patterns (RE2 semantics)', () => {
  const denial = (detail: string) => ({ rule: 'deny', code: 1008, detail });

  it.each([
    ['case-sensitive by default', ['DROP TABLE'], 'please drop table users', undefined],
    ['matches anywhere', ['DROP TABLE'], 'please DROP TABLE users', denial('DROP TABLE')],
    ['(?i) for any case', ['(?i)drop\\s+table'], 'DrOp \t TaBlE', denial('(?i)drop\\s+table')],
    ['anchored at the start', ['^admin:'], 'not admin: here', undefined],
    ['anchored, matching', ['^admin:'], 'admin: reset', denial('^admin:')],
    ['the first matching pattern is named', ['nope', 'b+', 'a'], 'xa bb', denial('b+')],
    ['Unicode text', ['café'], 'un café noir', denial('café')],
    ['no pattern matches', ['^\\d+$', 'secret'], '12a', undefined],
  ])('%s', (_name, deny, message, expected) => {
    const denyRule = rule({ deny });
    expect(checkContent(denyRule, true, text(message))).toEqual(expected);
    expect(checkContent(denyRule, false, text(message))).toBeUndefined();
  });

  it('checks UTF-8 first, then JSON, then the patterns', () => {
    const all = rule({ utf8: true, json: { maxDepth: 4, maxSize: 100 }, deny: ['evil'] });
    expect(checkContent(all, true, text([0x65, 0x76, 0x69, 0x6c, 0xff]))).toEqual({ rule: 'utf8', code: 1007 });
    expect(checkContent(all, true, text('evil'))).toMatchObject({ rule: 'json' });
    expect(checkContent(all, true, text('"evil"'))).toEqual(denial('evil'));
    expect(checkContent(all, true, text('"good"'))).toBeUndefined();
  });

  it.each([
    ['(a+)+$', 'a'.repeat(30_000) + 'b', 'a'.repeat(30_000)],
    ['(x+x+)+y', 'x'.repeat(30_000), `${'x'.repeat(30_000)}y`],
    ['^(\\w+\\s?)*$', `${'word '.repeat(6_000)}!`, 'word '.repeat(6_000)],
  ])('the catastrophic-backtracking pattern %s returns (RE2 matching is linear)', (pattern, attack, matching) => {
    // A backtracking engine would not return from the attack in any useful time.
    const denyRule = rule({ deny: [pattern] });
    expect(checkContent(denyRule, true, text(attack))).toBeUndefined();
    expect(checkContent(denyRule, true, text(matching))).toEqual(denial(pattern));
  });
});

describe('compileDenyPatterns', () => {
  it('compiles RE2 syntax', () => {
    const [pattern] = compileDenyPatterns(['(?i)^token=[a-f0-9]{8}\\b']);
    expect(pattern!.matcher('TOKEN=deadbeef x').find()).toBe(true);
    expect(pattern!.matcher('TOKEN=deadbee').find()).toBe(false);
  });

  it.each([
    ['a backreference', String.raw`(a)\1`],
    ['a lookahead', '(?=x)'],
    ['a negative lookahead', 'a(?!b)'],
    ['a lookbehind', '(?<=x)y'],
    ['a negative lookbehind', '(?<!x)y'],
    ['an unclosed group', '(abc'],
  ])('refuses %s, naming its index and the pattern', (_name, pattern) => {
    expect(() => compileDenyPatterns(['fine', pattern])).toThrow(`deny.1 ${JSON.stringify(pattern)}: `);
  });
});

describe('compileRules and ruleForPath', () => {
  const spec = (path: string, extra: Partial<MessageRuleSpec> = {}): MessageRuleSpec => ruleSpec({ path, ...extra });

  it('compiles each spec into a rule that keeps it, with its patterns compiled in order', () => {
    const specs = [spec('/api', { utf8: true, json: { maxDepth: 8, maxSize: 512 }, deny: ['a', '(?i)b'] })];
    const [compiled] = compileRules(specs);
    expect(compiled!.spec).toBe(specs[0]);
    expect([compiled!.utf8, compiled!.json, compiled!.denySources]).toEqual([
      true,
      { maxDepth: 8, maxSize: 512 },
      ['a', '(?i)b'],
    ]);
    expect(checkContent(compiled!, true, text('"B"'))).toEqual({ rule: 'deny', code: 1008, detail: '(?i)b' });
    expect(compileRules([])).toEqual([]);
  });

  const rules = compileRules([spec('/api'), spec('/'), spec('/api/v2/stream'), spec('/api/v2'), spec('/chat')]);
  const pick = (path: string): string | undefined => ruleForPath(rules, path)?.spec.path;

  it.each([
    ['/api/v2/stream/live', '/api/v2/stream'],
    ['/api/v2/stream', '/api/v2/stream'],
    ['/api/v2/other', '/api/v2'],
    ['/api/v1', '/api'],
    ['/api', '/api'],
    ['/chat/room/1', '/chat'],
    ['/', '/'],
    ['/elsewhere', '/'],
    // The query is not part of the path, even when it looks like a longer prefix.
    ['/api?next=/api/v2/stream', '/api'],
    ['/chat?room=1', '/chat'],
    ['/?/api', '/'],
  ])('%s: the rule of %s', (path, expected) => {
    expect(pick(path)).toBe(expected);
    // Whatever order the file lists them in.
    expect(ruleForPath([...rules].reverse(), path)?.spec.path).toBe(expected);
  });

  it('compares the path only: a query never reaches a rule, even one whose path runs into it', () => {
    // The rules file refuses a path with "?"; built by hand, such a rule shows what is compared.
    const withQuery = compileRules([spec('/search'), spec('/search?admin')]);
    expect(ruleForPath(withQuery, '/search?admin=1')?.spec.path).toBe('/search');
  });

  it('no rule when no prefix matches', () => {
    const narrow = compileRules([spec('/api'), spec('/chat')]);
    expect(ruleForPath(narrow, '/other')).toBeUndefined();
    expect(ruleForPath(narrow, '/?next=/api')).toBeUndefined();
    expect(ruleForPath([], '/api')).toBeUndefined();
  });
});
