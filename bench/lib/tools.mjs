// Finding the external programs a run may use, and their versions.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const searchPath = [...(process.env.PATH ?? '').split(':'), '/usr/sbin', '/usr/local/sbin', '/sbin'];

/** Absolute path of an executable, or undefined. */
export function which(name) {
  for (const dir of searchPath) {
    if (dir && existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  }
  return undefined;
}

/** First line a program prints (stdout or stderr) for its version flag. */
export function versionOf(path, args) {
  const out = spawnSync(path, args, { encoding: 'utf8', timeout: 5000 });
  return `${out.stdout ?? ''}${out.stderr ?? ''}`.split('\n').find((line) => line.trim()) ?? 'unknown';
}

/** Short HEAD revision, marked when packages/ has uncommitted changes (those are what ran). */
export function gitRevision(cwd) {
  try {
    const head = execFileSync('git', ['-C', cwd, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['-C', cwd, 'status', '--porcelain', '--', 'packages'], {
      encoding: 'utf8',
    }).trim();
    return dirty ? `${head} + uncommitted changes in packages/` : head;
  } catch {
    return 'unknown';
  }
}
