/**
 * How deeply `text`'s JSON nests arrays and objects, counted by scanning (strings and their
 * escapes skipped), without parsing: so a hostile `[[[[…` is refused before JSON.parse recurses
 * into it. Stops counting as soon as `limit` is passed (returns limit + 1).
 */
export function jsonDepth(text: string, limit: number): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const char = text.charCodeAt(i);
    if (inString) {
      if (char === 0x5c)
        i++; // backslash: the next character is escaped
      else if (char === 0x22) inString = false;
    } else if (char === 0x22) {
      inString = true;
    } else if (char === 0x5b || char === 0x7b) {
      depth++;
      if (depth > deepest && (deepest = depth) > limit) return limit + 1;
    } else if (char === 0x5d || char === 0x7d) {
      depth--;
    }
  }
  return deepest;
}
