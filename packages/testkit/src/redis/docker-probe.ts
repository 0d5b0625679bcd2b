import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Cheap, silent check for hints of a Docker engine. Importing testcontainers
 * and letting it probe every strategy is slow where there is no Docker, so we
 * only ask it when one of the usual sockets or settings exists.
 */
export function dockerMayBeAvailable(): boolean {
  if (process.env.DOCKER_HOST || process.env.TESTCONTAINERS_HOST_OVERRIDE) return true;
  const candidates = [
    '/var/run/docker.sock',
    join(homedir(), '.docker', 'run', 'docker.sock'),
    join(homedir(), '.docker', 'desktop', 'docker.sock'),
    join(homedir(), '.testcontainers.properties'),
  ];
  if (process.env.XDG_RUNTIME_DIR) candidates.push(join(process.env.XDG_RUNTIME_DIR, 'docker.sock'));
  return candidates.some((path) => existsSync(path));
}

/**
 * Resolves true when testcontainers can reach a container runtime within
 * `timeoutMs`; false on any failure or on timeout.
 */
export async function dockerAnswers(timeoutMs = 2000): Promise<boolean> {
  if (!dockerMayBeAvailable()) return false;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const probe = getContainerRuntimeClient().then(() => true);
    // The probe keeps running after a timeout; swallow its late rejection.
    probe.catch(() => undefined);
    const timeout = new Promise<boolean>((resolve) => setTimeout(resolve, timeoutMs, false).unref());
    return await Promise.race([probe, timeout]);
  } catch {
    return false;
  }
}
