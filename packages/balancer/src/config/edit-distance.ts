/**
 * Levenshtein distance between two strings: the fewest single-character insertions, deletions
 * and substitutions that turn `a` into `b`. Two rows of the Wagner–Fischer table are enough.
 */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/**
 * The candidate closest to `word` by {@link editDistance}, or undefined when even the closest
 * one needs more edits than a third of `word`'s length: past that, a suggestion is a guess that
 * misleads more than it helps. Ties go to the earlier candidate, so the answer is stable.
 */
export function closestMatch(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word, candidate);
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return bestDistance <= word.length / 3 ? best : undefined;
}
