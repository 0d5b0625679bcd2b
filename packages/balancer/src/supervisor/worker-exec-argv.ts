/** V8's flag for the largest semi-space of the young generation, in MiB. */
const semiSpaceFlag = '--max-semi-space-size';

/**
 * The Node flags a worker starts with: the primary's own (as `cluster.fork` would give it), plus
 * `--max-semi-space-size` from `--worker-semi-space`, unless that is 0 or the operator already
 * set the flag (in Node's flags or NODE_OPTIONS), whose choice wins.
 *
 * Why cap it: V8 grows each worker's young generation up to 3 × 16 MiB under a burst of
 * allocation (a handshake storm, a busy HTTP minute) and keeps it; on a node holding idle
 * WebSockets that memory is most of what RSS says a connection costs.
 */
export function workerExecArgv(semiSpaceMiB: number, execArgv: readonly string[], nodeOptions = ''): string[] {
  const operatorChose = [...execArgv, ...nodeOptions.split(/\s+/)].some(
    (arg) => arg === semiSpaceFlag || arg.startsWith(`${semiSpaceFlag}=`) || arg.startsWith('--max_semi_space_size'),
  );
  if (semiSpaceMiB === 0 || operatorChose) return [...execArgv];
  return [...execArgv, `${semiSpaceFlag}=${semiSpaceMiB}`];
}
