import { execFileSync } from 'node:child_process';

/** One established TCP connection as `ss` reports it. */
export interface TcpConnection {
  readonly local: string;
  readonly peer: string;
  /** ss's timer column, e.g. `timer:(keepalive,29sec,0)`, or '' when none. */
  readonly timer: string;
}

/**
 * Established TCP connections on this machine with `port` as their local or peer port, read
 * from the kernel with `ss` (iproute2): the proxy's own sockets, seen from outside the proxy.
 */
export function establishedConnections(port: number): TcpConnection[] {
  const output = execFileSync('ss', ['-Htno', 'state', 'established', `( sport = :${port} or dport = :${port} )`], {
    encoding: 'utf8',
  });
  return output
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const fields = line.trim().split(/\s+/);
      return {
        local: fields[2] ?? '',
        peer: fields[3] ?? '',
        timer: fields.find((field) => field.startsWith('timer:')) ?? '',
      };
    });
}
