import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.js';
import { defaultInflateBudget, parseMessageRules, readMessageRules } from '../../src/config/message-rules-file.js';
import { checkContent, compileRules, ruleForPath, type MessageRuleSpec } from '../../src/protocol/message-rules.js';

const file = 'rules.yaml';

/** The ConfigError `parseMessageRules` throws for `text`; fails the test when it does not throw one. */
function refusal(text: string, name = file): ConfigError {
  try {
    parseMessageRules(text, name);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).code).toBe('MOORING_ERR_CONFIG_INVALID');
    return err as ConfigError;
  }
  throw new Error(`expected ${JSON.stringify(text)} to be refused`);
}

const defaults = {
  direction: 'client',
  action: 'close',
  maxMessageSize: 0,
  maxMessageRate: 0,
  utf8: false,
  deny: [],
  inflateBudget: 1_048_576,
} as const;

const example = `
# Rules of the Mooring message guard, one per path prefix.
rules:
  - path: /api/chat
    direction: both
    action: log
    maxMessageSize: 65536
    maxMessageRate: 2.5
    utf8: true
    json:
      maxDepth: 8
      maxSize: 4096
    deny:
      - '(?i)drop\\s+table'
      - "^admin:"
    inflateBudget: 2048
  - path: /api
    json: {}
  - path: /
`;

describe('parseMessageRules: a valid file', () => {
  it('reads every field and fills in the defaults', () => {
    expect(defaultInflateBudget).toBe(1_048_576);
    const expected: MessageRuleSpec[] = [
      {
        path: '/api/chat',
        direction: 'both',
        action: 'log',
        maxMessageSize: 65_536,
        maxMessageRate: 2.5,
        utf8: true,
        json: { maxDepth: 8, maxSize: 4096 },
        deny: ['(?i)drop\\s+table', '^admin:'],
        inflateBudget: 2048,
      },
      { path: '/api', ...defaults, json: { maxDepth: 32, maxSize: 1_048_576 } },
      { path: '/', ...defaults },
    ];
    const rules = parseMessageRules(example, file);
    expect(rules).toEqual(expected);
    // No json key: no JSON rule at all.
    expect('json' in rules[2]!).toBe(false);
    // The same rules written as JSON, which is YAML too; and back again from what was read.
    expect(parseMessageRules(JSON.stringify({ rules: expected }), 'rules.json')).toEqual(expected);
    expect(parseMessageRules(JSON.stringify({ rules }), file)).toEqual(expected);
  });

  it('gives rules that compile and apply: the longest prefix, its patterns', () => {
    const rules = compileRules(parseMessageRules(example, file));
    const chat = ruleForPath(rules, '/api/chat/room?id=1')!;
    expect(chat.spec.path).toBe('/api/chat');
    expect(checkContent(chat, true, Buffer.from('{"q":"DROP  TABLE x"}'))).toEqual({
      rule: 'deny',
      code: 1008,
      detail: '(?i)drop\\s+table',
    });
    expect(ruleForPath(rules, '/api/other')!.spec.path).toBe('/api');
    expect(ruleForPath(rules, '/other')!.spec.path).toBe('/');
  });

  it('an empty file, and an empty list, are no rules', () => {
    expect(parseMessageRules('', file)).toEqual([]);
    expect(parseMessageRules('# nothing yet\n', file)).toEqual([]);
    expect(parseMessageRules('rules: []', file)).toEqual([]);
  });
});

describe('parseMessageRules: hostile input', () => {
  const prefix = `messageRules (${file}): `;
  const rule = (lines: string): string => `rules:\n  - path: /x\n${lines.replace(/^/gm, '    ')}\n`;
  const cases: Array<[string, string, string | RegExp]> = [
    ['not YAML', 'rules: [', /^not valid YAML: /],
    ['duplicate YAML keys', 'rules: []\nrules: []', /^not valid YAML: /],
    ['an alias bomb', `a: &a [x, x, x, x, x, x, x, x, x]\n${aliasBomb()}`, /^not valid YAML: /],
    ['a list at the top', '- path: /x', 'file: Invalid input: expected object, received array'],
    ['a number at the top', '42', 'file: Invalid input: expected object, received number'],
    ['an unknown top-level key', 'rules: []\nrule: []', 'file: unknown key "rule"'],
    ['rules not a list', 'rules: { path: /x }', /^rules: .*expected array/],
    ['an unknown key in a rule', rule('colour: red'), 'rules.0: unknown key "colour"'],
    ['an unknown key in json', rule('json: { depth: 3 }'), 'rules.0.json: unknown key "depth"'],
    ['a rule without a path', 'rules:\n  - utf8: true', /^rules\.0\.path: /],
    ['a path not starting with /', 'rules:\n  - path: api', /^rules\.0\.path: expected a path prefix starting with \//],
    ['a path with a query', 'rules:\n  - path: /api?x=1', /^rules\.0\.path: expected a path prefix/],
    ['a path with a space', 'rules:\n  - path: "/a b"', /^rules\.0\.path: expected a path prefix/],
    ['a duplicate path', 'rules:\n  - path: /a\n  - path: /b\n  - path: /a', 'rules.2.path: duplicate path /a'],
    ['an unknown direction', rule('direction: up'), /^rules\.0\.direction: /],
    ['an unknown action', rule('action: drop'), /^rules\.0\.action: /],
    ['utf8 as a string', rule('utf8: "yes"'), /^rules\.0\.utf8: /],
    ['a negative maxMessageSize', rule('maxMessageSize: -1'), /^rules\.0\.maxMessageSize: Too small/],
    ['a fractional maxMessageSize', rule('maxMessageSize: 1.5'), /^rules\.0\.maxMessageSize: /],
    ['a negative maxMessageRate', rule('maxMessageRate: -1'), /^rules\.0\.maxMessageRate: Too small/],
    ['a negative inflateBudget', rule('inflateBudget: -5'), /^rules\.0\.inflateBudget: Too small/],
    ['a tiny inflateBudget', rule('inflateBudget: 1023'), /^rules\.0\.inflateBudget: Too small/],
    ['a negative json.maxSize', rule('json: { maxSize: -1 }'), /^rules\.0\.json\.maxSize: Too small/],
    ['json.maxDepth 0', rule('json: { maxDepth: 0 }'), /^rules\.0\.json\.maxDepth: Too small/],
    ['json.maxDepth beyond 1000', rule('json: { maxDepth: 1001 }'), /^rules\.0\.json\.maxDepth: Too big/],
    ['deny as a string', rule('deny: "x"'), /^rules\.0\.deny: /],
    ['an empty deny pattern', rule("deny: ['']"), /^rules\.0\.deny\.0: /],
    ['an over-long deny pattern', rule(`deny: ['${'a'.repeat(1001)}']`), /^rules\.0\.deny\.0: Too big/],
    [
      'a backreference',
      rule("deny: ['fine', '(a)\\1']"),
      /^rules\.0\.deny: deny\.1 "\(a\)\\\\1": .*invalid escape sequence/,
    ],
    ['a lookahead', rule("deny: ['(?=x)']"), /^rules\.0\.deny: deny\.0 "\(\?=x\)": /],
    [
      'a lookbehind in the second rule',
      `${rule('utf8: true')}  - path: /y\n    deny: ['(?<=a)b']`,
      /^rules\.1\.deny: deny\.0 "\(\?<=a\)b": /,
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    const { message } = refusal(text);
    expect(message.startsWith(prefix)).toBe(true);
    const rest = message.slice(prefix.length);
    if (typeof expected === 'string') expect(rest).toBe(expected);
    else expect(rest).toMatch(expected);
    // One line: `mooring start` prints it as it is.
    expect(message).not.toContain('\n');
  });

  it('names the file it was given', () => {
    expect(refusal('- path: /x', '/etc/mooring/rules.yaml').message).toMatch(
      /^messageRules \(\/etc\/mooring\/rules\.yaml\): file: /,
    );
  });
});

/** Nested aliases that expand to 9^8 items: a YAML billion-laughs. */
function aliasBomb(): string {
  const lines: string[] = [];
  for (let level = 1; level <= 8; level++) {
    const previous = level === 1 ? 'a' : `l${level - 1}`;
    lines.push(`l${level}: &l${level} [${Array.from({ length: 9 }, () => `*${previous}`).join(', ')}]`);
  }
  return lines.join('\n');
}

describe('readMessageRules', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mooring-message-rules-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads a file from disk', () => {
    const path = join(dir, 'rules.yaml');
    writeFileSync(path, example);
    expect(readMessageRules(path)).toEqual(parseMessageRules(example, path));
  });

  it('names the file in what it refuses', () => {
    const path = join(dir, 'bad.yaml');
    writeFileSync(path, 'rules:\n  - path: nope\n');
    expect(() => readMessageRules(path)).toThrow(`messageRules (${path}): rules.0.path: `);
  });

  it.each([
    ['a missing file', 'missing.yaml', 'ENOENT'],
    ['a directory', '.', 'EISDIR'],
  ])('%s: the file and the error code', (_name, name, code) => {
    const path = join(dir, name);
    let thrown: unknown;
    try {
      readMessageRules(path);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).message).toBe(`messageRules (${path}): cannot read: ${code}`);
  });
});
