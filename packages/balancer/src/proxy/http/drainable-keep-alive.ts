import type { Agent } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Closes keep-alive connections to draining backends: idle ones at once, busy ones as soon as
 * their in-flight request is answered (Node's Agent emits 'free' when it would pool them).
 */
export function drainableKeepAlive(agent: Agent): { setDraining(origins: readonly string[]): void } {
  let draining = new Set<string>();
  const protocol = (agent as Agent & { protocol?: string }).protocol ?? 'http:';
  const originOf = (options: {
    host?: string | null;
    hostname?: string | null;
    port?: string | number | null;
  }): string => `${protocol}//${options.hostname ?? options.host}:${options.port}`;
  agent.on('free', (socket: Socket, options: { host?: string; hostname?: string; port?: number }) => {
    if (draining.size > 0 && draining.has(originOf(options))) socket.destroy();
  });
  return {
    setDraining(origins) {
      draining = new Set(origins);
      for (const [name, sockets] of Object.entries(agent.freeSockets)) {
        // Agent pool names start with `host:port:`.
        const [host, port] = name.split(':');
        if (draining.has(`${protocol}//${host}:${port}`)) for (const socket of sockets ?? []) socket.destroy();
      }
    },
  };
}
