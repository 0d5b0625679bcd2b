import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runMooring, startMooringNode } from '@mooring/testkit';
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
    [
      'a bad duration',
      ['start', '--idle-timeout', 'forever'],
      {},
      'idleTimeout (--idle-timeout, MOORING_IDLE_TIMEOUT): expected a duration',
    ],
    ['a bad backend', ['start', '--backend', 'a=ftp://127.0.0.1:1'], {}, 'backends.0.url'],
    ['an unknown flag', ['start', '--wokers', '2'], {}, "unknown option '--wokers'"],
    [
      'a bad env value',
      ['start'],
      { MOORING_LISTEN: 'nowhere' },
      'listen (--listen, MOORING_LISTEN): expected HOST:PORT',
    ],
    [
      'a close code that may not be sent',
      ['start', '--close-code', '2000'],
      {},
      'closeCode (--close-code, MOORING_CLOSE_CODE): expected a close code that may be sent',
    ],
    // The error stays the one line: warnings are only printed for a configuration that is valid.
    [
      'a bad env value next to an unknown env variable',
      ['start'],
      { MOORING_LISTEN: 'nowhere', MOORING_REPO: '/x' },
      'listen (--listen, MOORING_LISTEN): expected HOST:PORT',
    ],
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

describe('mooring start with unknown MOORING_* variables', () => {
  // Other tools (a benchmark harness's MOORING_REPO) set such variables: they warn, never stop a node.
  it('starts, and warns on stderr naming each variable and the closest known one', async () => {
    const node = await startMooringNode({ env: { MOORING_REPO: '/x', MOORING_LISTN: '127.0.0.1:1' } });
    try {
      const warnings = (): string[] => node.rawOutput.filter((line) => line.startsWith('mooring: warning:'));
      await expect
        .poll(warnings)
        .toEqual([
          'mooring: warning: unknown environment variable MOORING_LISTN ignored; did you mean MOORING_LISTEN?',
          'mooring: warning: unknown environment variable MOORING_REPO ignored; no similar option',
        ]);
      // On SIGHUP the logger exists: the same warnings go to the log, at warn level.
      process.kill(node.pid, 'SIGHUP');
      const logged = await node.waitForLog(
        (line) => line.msg === 'SIGHUP: configuration warning' && String(line.warning).includes('MOORING_LISTN'),
      );
      expect(logged).toMatchObject({
        level: 40,
        warning: 'unknown environment variable MOORING_LISTN ignored; did you mean MOORING_LISTEN?',
      });
      await node.waitForLog((line) => line.msg === 'reload complete', 15_000);
    } finally {
      expect(await node.stop()).toBe(0);
    }
  });
});
