import { startMooringNode, startTestBackend, type MooringNode, type TestBackend } from '@mooring/testkit';

/** A Mooring node in front of its own test backends, as most end-to-end tests need. */
export interface Fleet {
  readonly node: MooringNode;
  readonly backends: TestBackend[];
  /** The backend with this name. */
  backend(name: string): TestBackend;
  close(): Promise<void>;
}

/**
 * Starts `backendCount` test backends (`b1`, `b2`, …) and the real `mooring` executable in
 * front of them with `workers` workers; `args` are extra `mooring start` flags.
 */
export async function startFleet(
  options: { workers?: number; backendCount?: number; args?: string[] } = {},
): Promise<Fleet> {
  const names = Array.from({ length: options.backendCount ?? 3 }, (_, index) => `b${index + 1}`);
  const backends = await Promise.all(names.map((name) => startTestBackend({ name })));
  const backendArgs = backends.flatMap((backend) => ['--backend', `${backend.name}=${backend.url}`]);
  const node = await startMooringNode({
    workers: options.workers ?? 2,
    args: [...backendArgs, ...(options.args ?? [])],
  });
  return {
    node,
    backends,
    backend: (name) => {
      const found = backends.find((backend) => backend.name === name);
      if (!found) throw new Error(`no backend ${name}`);
      return found;
    },
    async close() {
      await node.stop();
      await Promise.all(backends.map((backend) => backend.close()));
    },
  };
}

/** Sets every backend of the fleet to one mode. */
export async function setAllModes(fleet: Fleet, mode: Parameters<TestBackend['setMode']>[0]): Promise<void> {
  await Promise.all(fleet.backends.map((backend) => backend.setMode(mode)));
}
