/** The worker heap settings that become V8 flags, in MiB; 0 leaves V8's own choice. */
export interface WorkerHeapSettings {
  /** `--worker-semi-space`: the largest semi-space of the young generation. */
  readonly semiSpaceMiB: number;
  /** `--worker-old-space-floor`: the old-generation size below which V8 skips full collections. */
  readonly oldSpaceFloorMiB: number;
}

/**
 * The Node flags a worker starts with: the primary's own (as `cluster.fork` would give it), plus
 * one V8 flag per heap setting, unless that is 0 or the operator already set the flag (in Node's
 * flags or NODE_OPTIONS), whose choice wins.
 *
 * Why cap the semi-space: V8 grows each worker's young generation up to 3 × 16 MiB under a burst
 * of allocation (a handshake storm, a busy HTTP minute) and keeps it; on a node holding idle
 * WebSockets that memory is most of what RSS says a connection costs.
 *
 * Why an old-space floor is there to set: V8 counts the buffers every socket read allocates
 * (64 KiB each, freed by the next young collection, which it runs only every 32 MiB of them)
 * against the old generation's limit. A worker whose limit sits about 10 MiB above what it holds
 * (any worker past start-up) reaches it several times a second under a bulk stream and runs a full
 * collection each time: twice the CPU per relayed MB. `--initial-old-space-size` is V8's own
 * floor for that limit ("no full GC below it"); it costs up to that much uncollected heap per
 * worker (bench/README.md, "Bulk streams and the old-space floor").
 */
export function workerExecArgv(heap: WorkerHeapSettings, execArgv: readonly string[], nodeOptions = ''): string[] {
  const operatorArgs = [...execArgv, ...nodeOptions.split(/\s+/)];
  const args = [...execArgv];
  addV8Flag(args, operatorArgs, 'max-semi-space-size', heap.semiSpaceMiB);
  addV8Flag(args, operatorArgs, 'initial-old-space-size', heap.oldSpaceFloorMiB);
  return args;
}

/** Appends `--name=value` unless value is 0 or the operator wrote the flag (V8 takes `-` or `_`). */
function addV8Flag(args: string[], operatorArgs: readonly string[], name: string, value: number): void {
  const spellings = [`--${name}`, `--${name.replaceAll('-', '_')}`];
  const operatorChose = operatorArgs.some((arg) =>
    spellings.some((flag) => arg === flag || arg.startsWith(`${flag}=`)),
  );
  if (value !== 0 && !operatorChose) args.push(`--${name}=${value}`);
}
