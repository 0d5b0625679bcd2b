// The hottest functions of a set of V8 .cpuprofile files, by self time, so that `--profile`
// prints where the time went without opening DevTools.
import { readFileSync } from 'node:fs';

/** Self time per function (ms), summed over the profiles, hottest first. */
export function hottestFunctions(paths, limit = 15) {
  const byFunction = new Map();
  let totalMs = 0;
  for (const path of paths) {
    const profile = JSON.parse(readFileSync(path, 'utf8'));
    const durationMs = (profile.endTime - profile.startTime) / 1000;
    const samples = profile.samples?.length ?? 0;
    if (samples === 0) continue;
    const msPerSample = durationMs / samples;
    const hits = new Map();
    for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
    for (const node of profile.nodes) {
      const count = hits.get(node.id) ?? 0;
      if (count === 0) continue;
      const { functionName, url, lineNumber } = node.callFrame;
      const file = url
        ? url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '')
        : '';
      const key = `${functionName || '(anonymous)'} ${file ? `${file}:${lineNumber + 1}` : ''}`.trim();
      const ms = count * msPerSample;
      byFunction.set(key, (byFunction.get(key) ?? 0) + ms);
      totalMs += ms;
    }
  }
  const rows = [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, limit);
  return { totalMs, rows: rows.map(([name, ms]) => ({ name, ms, share: totalMs ? ms / totalMs : 0 })) };
}
