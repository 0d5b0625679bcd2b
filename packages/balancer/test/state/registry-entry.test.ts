import { describe, expect, it } from 'vitest';
import { formatRegistryEntry, isMalformed, parseRegistryEntry } from '../../src/state/registry-entry.js';

describe('parseRegistryEntry: usable entries', () => {
  it.each([
    {
      name: 'bare URL',
      raw: 'http://10.0.0.5:3000',
      expected: { url: 'http://10.0.0.5:3000', weight: 1, state: 'active' },
    },
    {
      name: 'bare URL, trailing slash and spaces',
      raw: ' http://10.0.0.5:3000/ \n',
      expected: { url: 'http://10.0.0.5:3000', weight: 1, state: 'active' },
    },
    {
      name: 'bare URL, default port',
      raw: 'http://backend.internal',
      expected: { url: 'http://backend.internal', weight: 1, state: 'active' },
    },
    {
      name: 'https URL (a backend behind TLS)',
      raw: 'https://chat-1.internal:8443',
      expected: { url: 'https://chat-1.internal:8443', weight: 1, state: 'active' },
    },
    {
      name: 'JSON, url only',
      raw: '{"url":"http://10.0.0.5:3000"}',
      expected: { url: 'http://10.0.0.5:3000', weight: 1, state: 'active' },
    },
    {
      name: 'JSON, all fields',
      raw: '{"url":"http://[::1]:3000","weight":5,"state":"draining"}',
      expected: { url: 'http://[::1]:3000', weight: 5, state: 'draining' },
    },
    {
      name: 'JSON with whitespace',
      raw: ' { "url" : "http://h:1", "weight" : 1000 } ',
      expected: { url: 'http://h:1', weight: 1000, state: 'active' },
    },
  ])('$name', ({ raw, expected }) => {
    expect(parseRegistryEntry('web-1', raw)).toEqual({ id: 'web-1', ...expected });
  });
});

describe('parseRegistryEntry: malformed entries', () => {
  it.each([
    { name: 'empty value', id: 'a', raw: '', reason: /url: expected an http:\/\/ or https:\/\/ origin/ },
    { name: 'not a URL', id: 'a', raw: 'localhost:3000', reason: /url: expected an http:\/\/ or https:\/\/ origin/ },
    { name: 'ftp URL', id: 'a', raw: 'ftp://h:1', reason: /url:/ },
    { name: 'URL with credentials', id: 'a', raw: 'https://user:pw@h:1', reason: /url:/ },
    { name: 'URL with a path', id: 'a', raw: 'http://h:1/app', reason: /url:/ },
    { name: 'URL with a query', id: 'a', raw: 'http://h:1/?x=1', reason: /url:/ },
    { name: 'truncated JSON', id: 'a', raw: '{"url":"http://h:1"', reason: /^invalid JSON/ },
    { name: 'JSON array', id: 'a', raw: '[1]', reason: /url:/ },
    { name: 'empty JSON object', id: 'a', raw: '{}', reason: /url:/ },
    { name: 'unknown key', id: 'a', raw: '{"url":"http://h:1","wieght":2}', reason: /wieght/ },
    { name: 'id inside the value', id: 'a', raw: '{"url":"http://h:1","id":"a"}', reason: /unknown key "id"/ },
    { name: 'weight 0', id: 'a', raw: '{"url":"http://h:1","weight":0}', reason: /^weight:/ },
    { name: 'weight 1.5', id: 'a', raw: '{"url":"http://h:1","weight":1.5}', reason: /^weight:/ },
    { name: 'weight as a string', id: 'a', raw: '{"url":"http://h:1","weight":"2"}', reason: /^weight:/ },
    { name: 'weight too large', id: 'a', raw: '{"url":"http://h:1","weight":1001}', reason: /^weight:/ },
    { name: 'unknown state', id: 'a', raw: '{"url":"http://h:1","state":"drained"}', reason: /^state:/ },
    { name: 'id with a space', id: 'a b', raw: 'http://h:1', reason: /^id:/ },
    { name: 'empty id', id: '', raw: 'http://h:1', reason: /^id:/ },
    { name: 'id too long', id: 'x'.repeat(65), raw: 'http://h:1', reason: /^id:/ },
  ])('$name', ({ id, raw, reason }) => {
    const entry = parseRegistryEntry(id, raw);
    expect(isMalformed(entry)).toBe(true);
    expect(entry).toMatchObject({ id, raw, reason: expect.stringMatching(reason) });
  });

  it('names every problem of one entry', () => {
    const entry = parseRegistryEntry('a', '{"url":"nope","weight":-1}');
    expect(entry).toMatchObject({ reason: expect.stringMatching(/url:.*; weight:/) });
  });
});

describe('formatRegistryEntry', () => {
  it('writes the JSON form, which parses back to the same backend', () => {
    const text = formatRegistryEntry({ id: 'a', url: 'http://h:1/', weight: 2, state: 'draining' });
    expect(JSON.parse(text)).toEqual({ url: 'http://h:1', weight: 2, state: 'draining' });
    expect(parseRegistryEntry('a', text)).toEqual({ id: 'a', url: 'http://h:1', weight: 2, state: 'draining' });
  });

  it('refuses a backend that would be read back as malformed', () => {
    expect(() => formatRegistryEntry({ id: 'a', url: 'http://h:1', weight: 0, state: 'active' })).toThrow(
      expect.objectContaining({ code: 'MOORING_ERR_STATE_INVALID_BACKEND', message: expect.stringMatching(/weight/) }),
    );
  });
});
