import { describe, expect, it } from 'vitest';
import { formatAge, renderTable } from '../src/output/table.js';

describe('renderTable', () => {
  it('pads every column but the last to its widest cell, with no trailing blanks', () => {
    expect(
      renderTable(
        ['A', 'LONG HEADER', 'C'],
        [
          ['wide cell', 'x', ''],
          ['y', 'z', 'last'],
        ],
      ),
    ).toBe(['A          LONG HEADER  C', 'wide cell  x', 'y          z            last'].join('\n'));
  });
});

describe('formatAge', () => {
  it.each([
    [-5, '0ms'],
    [850, '850ms'],
    [999, '999ms'],
    [1_000, '1s'],
    [12_400, '12s'],
    [60_000, '1m'],
    [3_600_000, '1h'],
    [7_200_000, '2h'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatAge(ms)).toBe(text);
  });
});
