#!/usr/bin/env node
// Installs the system packages the end-to-end tests drive (a real redis-server, a real
// Chromium, iproute2's ss), when they are missing and this machine can install them (root with apt-get).
// Elsewhere it says what to install; the tests that need them then fail with the same message.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const needed = [
  { name: 'redis-server', present: () => onPath('redis-server'), debianPackage: 'redis-server' },
  { name: 'chromium', present: () => existsSync('/usr/bin/chromium'), debianPackage: 'chromium' },
  // `ss` reads the proxy's sockets from the kernel (keep-alive timers, leaked tunnels, owners).
  { name: 'ss', present: () => onPath('ss'), debianPackage: 'iproute2' },
];

function onPath(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

const missing = needed.filter((tool) => !tool.present());
if (missing.length === 0) process.exit(0);

const names = missing.map((tool) => tool.debianPackage);
const canInstall = process.getuid?.() === 0 && onPath('apt-get');
if (!canInstall) {
  console.warn(
    `test prerequisites missing: ${names.join(', ')}; install them (Debian/Ubuntu: apt-get install ${names.join(' ')}) or set REDIS_URL`,
  );
  process.exit(0);
}
console.log(`installing test prerequisites: ${names.join(', ')}`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...names], { stdio: 'inherit', env });
