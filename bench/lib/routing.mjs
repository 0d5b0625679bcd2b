// Runs bench/routing-decision.mjs (written alongside this suite) in its own process, if present.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const script = fileURLToPath(new URL('../routing-decision.mjs', import.meta.url));

export function runRoutingDecision() {
  if (!existsSync(script)) return { skipped: 'bench/routing-decision.mjs does not exist yet' };
  const code = `const m = await import(${JSON.stringify(pathToFileURL(script).href)});
if (typeof m.measureRoutingDecisions !== 'function') process.exit(3);
console.log(JSON.stringify(m.measureRoutingDecisions()));`;
  const json = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 180_000 });
  if (json.status === 0) {
    try {
      return { rows: JSON.parse(json.stdout.trim().split('\n').pop()) };
    } catch {
      // Not JSON: fall back to the plain output below.
    }
  }
  // Fall back to whatever the script prints on its own.
  const plain = spawnSync(process.execPath, [script], { encoding: 'utf8', timeout: 180_000 });
  if (plain.status === 0) return { text: plain.stdout };
  return {
    skipped: `bench/routing-decision.mjs failed: ${(plain.stderr || json.stderr || '').trim().split('\n').slice(0, 3).join(' ')}`,
  };
}
