// Process accounting from /proc: CPU seconds (utime + stime) and RSS of a process tree.
// On 2 shared cores the load generator, the proxy and the backend compete, so every scenario
// reports how much CPU each spent rather than trusting throughput alone.
import { readFileSync, readdirSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();
const pageSize = 4096;

/** The process and all its descendants (cluster workers included), by walking /proc children lists. */
export function processTree(rootPid) {
  const pids = [];
  const visit = (pid) => {
    pids.push(pid);
    let tasks = [];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      return;
    }
    for (const task of tasks) {
      let children = '';
      try {
        children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8');
      } catch {
        continue;
      }
      for (const child of children.split(' ').filter(Boolean)) visit(Number(child));
    }
  };
  visit(rootPid);
  return pids;
}

/** CPU seconds a process has spent so far (0 if it is gone). */
export function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** Resident set size in bytes (0 if the process is gone). */
export function rssBytes(pid) {
  try {
    const statm = readFileSync(`/proc/${pid}/statm`, 'utf8').split(' ');
    return Number(statm[1]) * pageSize;
  } catch {
    return 0;
  }
}

/** A snapshot of CPU seconds per pid for a set of pids, to diff after a run. */
export function cpuSnapshot(pids) {
  return new Map(pids.map((pid) => [pid, cpuSeconds(pid)]));
}

/** CPU seconds spent between two snapshots, summed (pids that appeared later count from 0). */
export function cpuDelta(before, pids) {
  let total = 0;
  for (const pid of pids) total += cpuSeconds(pid) - (before.get(pid) ?? 0);
  return total;
}

export function sumRss(pids) {
  return pids.reduce((sum, pid) => sum + rssBytes(pid), 0);
}

/** CPU seconds per thread of a process (tid → seconds), for multi-threaded load generators like wrk. */
export function threadCpu(pid) {
  const result = new Map();
  let tasks = [];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return result;
  }
  for (const tid of tasks) result.set(tid, cpuSecondsOfPath(`/proc/${pid}/task/${tid}/stat`));
  return result;
}

function cpuSecondsOfPath(path) {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return 0;
  }
}

/** Machine-wide busy and total CPU seconds so far, from the first line of /proc/stat. */
export function machineCpu() {
  const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  const totalTicks = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idleTicks = fields[3] + (fields[4] ?? 0);
  return { busy: (totalTicks - idleTicks) / clockTicks, total: totalTicks / clockTicks };
}
