import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/supervisor/worker-exec-argv.js';

const defaults = { semiSpaceMiB: 2, oldSpaceFloorMiB: 0 };

describe('workerExecArgv', () => {
  it("adds --max-semi-space-size to the primary's own flags", () => {
    expect(workerExecArgv(defaults, ['--enable-source-maps'])).toEqual([
      '--enable-source-maps',
      '--max-semi-space-size=2',
    ]);
    expect(workerExecArgv({ ...defaults, semiSpaceMiB: 16 }, [], '--trace-warnings')).toEqual([
      '--max-semi-space-size=16',
    ]);
  });

  it('adds --initial-old-space-size for an old-space floor', () => {
    expect(workerExecArgv({ semiSpaceMiB: 2, oldSpaceFloorMiB: 64 }, [])).toEqual([
      '--max-semi-space-size=2',
      '--initial-old-space-size=64',
    ]);
    expect(workerExecArgv({ semiSpaceMiB: 0, oldSpaceFloorMiB: 48 }, ['--cpu-prof'])).toEqual([
      '--cpu-prof',
      '--initial-old-space-size=48',
    ]);
  });

  it("leaves V8's default at 0", () => {
    expect(workerExecArgv({ semiSpaceMiB: 0, oldSpaceFloorMiB: 0 }, ['--cpu-prof'])).toEqual(['--cpu-prof']);
  });

  it("lets the operator's own flag win, in Node's flags or NODE_OPTIONS, in either spelling", () => {
    expect(workerExecArgv(defaults, ['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(workerExecArgv(defaults, ['--max-semi-space-size', '8'])).toEqual(['--max-semi-space-size', '8']);
    expect(workerExecArgv(defaults, [], '--inspect  --max_semi_space_size=4')).toEqual([]);
    const floor = { semiSpaceMiB: 0, oldSpaceFloorMiB: 64 };
    expect(workerExecArgv(floor, ['--initial-old-space-size=16'])).toEqual(['--initial-old-space-size=16']);
    expect(workerExecArgv(floor, [], '--initial_old_space_size=32')).toEqual([]);
  });

  it('does not take a longer flag for the one it sets', () => {
    expect(workerExecArgv(defaults, ['--max-semi-space-size-extra=1'])).toEqual([
      '--max-semi-space-size-extra=1',
      '--max-semi-space-size=2',
    ]);
  });
});
