import { describe, expect, it } from 'vitest';
import { workerExecArgv } from '../../src/supervisor/worker-exec-argv.js';

describe('workerExecArgv', () => {
  it("adds --max-semi-space-size to the primary's own flags", () => {
    expect(workerExecArgv(2, ['--enable-source-maps'])).toEqual(['--enable-source-maps', '--max-semi-space-size=2']);
    expect(workerExecArgv(16, [], '--trace-warnings')).toEqual(['--max-semi-space-size=16']);
  });

  it("leaves V8's default at 0", () => {
    expect(workerExecArgv(0, ['--cpu-prof'])).toEqual(['--cpu-prof']);
  });

  it("lets the operator's own flag win, in Node's flags or NODE_OPTIONS, in either spelling", () => {
    expect(workerExecArgv(2, ['--max-semi-space-size=8'])).toEqual(['--max-semi-space-size=8']);
    expect(workerExecArgv(2, ['--max-semi-space-size', '8'])).toEqual(['--max-semi-space-size', '8']);
    expect(workerExecArgv(2, [], '--inspect  --max_semi_space_size=4')).toEqual([]);
  });
});
