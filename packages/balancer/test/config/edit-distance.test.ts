import { describe, expect, it } from 'vitest';
import { closestMatch, editDistance } from '../../src/config/edit-distance.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['abc', '', 3],
    ['LISTEN', 'LISTEN', 0],
    ['LISTN', 'LISTEN', 1],
    ['WROKERS', 'WORKERS', 2],
    ['kitten', 'sitting', 3],
    ['flaw', 'lawn', 2],
  ])('%j to %j is %i', (a, b, distance) => {
    expect(editDistance(a, b)).toBe(distance);
    expect(editDistance(b, a)).toBe(distance);
  });
});

describe('closestMatch', () => {
  const candidates = ['LISTEN', 'ADMIN', 'WORKERS', 'REDIS', 'PREFIX'];

  it('picks the closest candidate within a third of the word', () => {
    expect(closestMatch('LISTN', candidates)).toBe('LISTEN');
    expect(closestMatch('WROKERS', candidates)).toBe('WORKERS');
    expect(closestMatch('REDIS', candidates)).toBe('REDIS');
  });

  it('gives nothing when even the closest is further than that', () => {
    expect(closestMatch('REPO', candidates)).toBeUndefined(); // REDIS is 3 edits away, over 4 / 3
    expect(closestMatch('', candidates)).toBeUndefined();
    expect(closestMatch('LISTEN', [])).toBeUndefined();
  });

  it('breaks ties by candidate order', () => {
    expect(closestMatch('ABX', ['ABC', 'ABD'])).toBe('ABC');
    expect(closestMatch('ABX', ['ABD', 'ABC'])).toBe('ABD');
  });
});
