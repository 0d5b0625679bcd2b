/** One line of `CLUSTER NODES`, as much of it as the harness needs. */
export interface ClusterNodeLine {
  readonly id: string;
  readonly port: number;
  /** `myself`, `master`, `slave`, `fail`, `fail?`, `handshake`, `noaddr`… */
  readonly flags: readonly string[];
  /** Id of its master, for a replica. */
  readonly masterId: string | undefined;
  /** Slot ranges it serves, inclusive. */
  readonly slots: ReadonlyArray<readonly [number, number]>;
}

/**
 * Parses `CLUSTER NODES` (`<id> <ip:port@cport> <flags> <master> <ping> <pong> <epoch> <link>
 * <slot>…`, Redis Cluster specification). Slots in migration (`[…]`) are left out. Pure.
 */
export function parseClusterNodes(text: string): ClusterNodeLine[] {
  const lines: ClusterNodeLine[] = [];
  for (const line of text.split(/\r?\n/)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 8) continue;
    const [id, address, flags, master, , , , , ...slotFields] = fields as [string, string, string, string, ...string[]];
    const port = Number(/:(\d+)/.exec(address)?.[1]);
    const slots = slotFields
      .filter((field) => !field.startsWith('['))
      .map((field) => {
        const [start, end = start] = field.split('-').map(Number) as [number, number?];
        return [start, end] as const;
      });
    lines.push({ id, port, flags: flags.split(','), masterId: master === '-' ? undefined : master, slots });
  }
  return lines;
}
