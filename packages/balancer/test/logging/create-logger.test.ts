import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/create-logger.js';

function capture(): { stream: Writable; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return {
    stream,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line)),
  };
}

describe('createLogger', () => {
  it('tags every line with node and worker, and redacts credentials wherever headers are logged', () => {
    const { stream, lines } = capture();
    const log = createLogger({ node: 'n1', worker: 2, level: 'info', destination: stream });
    log.info({ req: { headers: { cookie: 'mooring=secret', authorization: 'Bearer t', host: 'a' } } }, 'request');
    log.child({ component: 'proxy' }).info({ headers: { 'set-cookie': ['s=1'], cookie: 'c=2' } }, 'response');
    const [first, second] = lines();
    expect(first).toMatchObject({
      node: 'n1',
      worker: 2,
      msg: 'request',
      req: { headers: { cookie: '[redacted]', authorization: '[redacted]', host: 'a' } },
    });
    expect(second).toMatchObject({ component: 'proxy', headers: { 'set-cookie': '[redacted]', cookie: '[redacted]' } });
    expect(JSON.stringify(lines())).not.toContain('secret');
  });
});
