import { execFile } from 'node:child_process';
import { TestkitError } from '../errors/testkit-error.js';

/** Options of {@link redisCli}. */
export interface RedisCliOptions {
  /** `requirepass` of the server asked (`-a`, without the warning redis-cli prints for it). */
  readonly password?: string;
  /** Longest wait for the answer; default 5 s. */
  readonly timeoutMs?: number;
}

/**
 * Runs `redis-cli -h 127.0.0.1 -p PORT ARGS…` and resolves with its output, trimmed. redis-cli
 * prints a server's error reply on stdout with exit 0, so an answer starting `ERR`/`NOAUTH`… is
 * returned as text; only a failure to run or to connect rejects (TESTKIT_ERR_REDIS_START).
 */
export function redisCli(port: number, args: readonly string[], options: RedisCliOptions = {}): Promise<string> {
  const auth = options.password === undefined ? [] : ['-a', options.password, '--no-auth-warning'];
  const argv = ['-h', '127.0.0.1', '-p', String(port), ...auth, ...args];
  return new Promise((resolve, reject) => {
    execFile('redis-cli', argv, { timeout: options.timeoutMs ?? 5_000 }, (err, stdout, stderr) => {
      if (err) {
        const message = `redis-cli -p ${port} ${args.join(' ')} failed: ${stderr.trim() || err.message}`;
        reject(new TestkitError('TESTKIT_ERR_REDIS_START', message, { cause: err }));
      } else resolve(stdout.trim());
    });
  });
}

/** `redis-cli … INFO section` as a map of its `key:value` lines. */
export async function redisInfo(
  port: number,
  section: string,
  options: RedisCliOptions = {},
): Promise<Map<string, string>> {
  const text = await redisCli(port, ['INFO', section], options);
  const fields = new Map<string, string>();
  for (const line of text.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon > 0 && !line.startsWith('#')) fields.set(line.slice(0, colon), line.slice(colon + 1).trim());
  }
  return fields;
}
