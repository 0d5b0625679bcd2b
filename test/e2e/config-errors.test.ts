import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMooring } from '@mooring/testkit';
import { describe, expect, it } from 'vitest';

const dir = mkdtempSync(join(tmpdir(), 'mooring-cli-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};

describe('mooring start with a bad configuration', () => {
  it.each([
    ['a bad flag value', ['start', '--workers', 'two'], {}, 'workers (--workers): expected a number, got "two"'],
    ['a bad duration', ['start', '--idle-timeout', 'forever'], {}, 'idleTimeout (--idle-timeout, MOORING_IDLE_TIMEOUT): expected a duration'],
    ['a bad backend', ['start', '--backend', 'a=ftp://127.0.0.1:1'], {}, 'backends.0.url'],
    ['an unknown flag', ['start', '--wokers', '2'], {}, "unknown option '--wokers'"],
    ['a bad env value', ['start'], { MOORING_LISTEN: 'nowhere' }, 'listen (--listen, MOORING_LISTEN): expected HOST:PORT'],
    ['an unknown env variable', ['start'], { MOORING_LISTN: '127.0.0.1:1' }, 'unknown environment variable MOORING_LISTN'],
  ])('%s exits 2 with one line naming the field', async (_name, args, env, expected) => {
    const result = await runMooring(args, env as Record<string, string>);
    expect(result.code).toBe(2);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(expected);
    expect(result.stdout).toBe('');
  });

  it.each([
    ['an unknown key', 'typo.yaml', 'listen: 127.0.0.1:0\nworkres: 2\n', 'unknown option "workres"'],
    ['invalid YAML', 'broken.yaml', 'listen: [\n', 'is not valid YAML'],
    ['invalid JSON', 'broken.json', '{"listen": ', 'is not valid JSON'],
    ['a bad value', 'bad.yaml', 'handshakeTimeout: soon\n', 'handshakeTimeout'],
  ])('a config file with %s exits 2', async (_name, name, text, expected) => {
    const result = await runMooring(['start', '--config', file(name, text)]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain(expected);
  });
});
