// The host's packet backlog, read from /proc: a scale run on loopback can overflow it, and the
// packets it drops include TCP keep-alive probes, which Node 20 gives up on after 10 lost in a
// row (bench/README.md, "Known issues"). Linux only; elsewhere both read as undefined.
import { readFileSync } from 'node:fs';

/** `net.core.netdev_max_backlog`: packets each CPU queues before it drops. */
export function netdevMaxBacklog() {
  try {
    return Number(readFileSync('/proc/sys/net/core/netdev_max_backlog', 'utf8').trim());
  } catch {
    return undefined;
  }
}

/** Packets dropped from a full backlog since boot, summed over the CPUs (softnet_stat, column 2). */
export function backlogDrops() {
  try {
    return readFileSync('/proc/net/softnet_stat', 'utf8')
      .trim()
      .split('\n')
      .reduce((sum, line) => sum + Number.parseInt(line.trim().split(/\s+/)[1] ?? '0', 16), 0);
  } catch {
    return undefined;
  }
}
