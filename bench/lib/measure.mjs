// Wraps one timed load phase with CPU accounting of everything on the machine: the proxy's
// processes, the backend, the load generator (reported by the clients themselves) and the
// rest ("other": whatever else runs on the shared machine meanwhile).
import { cpuDelta, cpuSnapshot, machineCpu } from './proc.mjs';

/**
 * @param {{ proxyPids: () => number[], backendPids: number[] }} who
 * @param {() => Promise<{ clientCpuSeconds: number }>} phase
 */
export async function withCpuAccounting(who, phase) {
  const proxyPids = who.proxyPids();
  const proxyBefore = cpuSnapshot(proxyPids);
  const backendBefore = cpuSnapshot(who.backendPids);
  const machineBefore = machineCpu();
  const result = await phase();
  const machineAfter = machineCpu();
  const proxyCpuSeconds = cpuDelta(proxyBefore, who.proxyPids());
  const backendCpuSeconds = cpuDelta(backendBefore, who.backendPids);
  const machineBusySeconds = machineAfter.busy - machineBefore.busy;
  const machineSeconds = machineAfter.total - machineBefore.total;
  const accounted = proxyCpuSeconds + backendCpuSeconds + (result.clientCpuSeconds ?? 0);
  return {
    ...result,
    cpu: {
      proxySeconds: proxyCpuSeconds,
      backendSeconds: backendCpuSeconds,
      clientSeconds: result.clientCpuSeconds ?? 0,
      otherSeconds: Math.max(0, machineBusySeconds - accounted),
      idleShare: machineSeconds > 0 ? 1 - machineBusySeconds / machineSeconds : NaN,
    },
  };
}
