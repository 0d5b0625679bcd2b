import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { arch, cpus, release, totalmem } from 'node:os';

export const resultsDir = fileURLToPath(new URL('../results/', import.meta.url));

/** A timestamp usable in a file name: 2025-01-31T12-00-00Z. */
export function fileStamp(date = new Date()) {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replaceAll(':', '-');
}

export function writeJson(name, data) {
  mkdirSync(resultsDir, { recursive: true });
  const path = `${resultsDir}${name}`;
  writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}

export function machineInfo() {
  const cpuList = cpus();
  return {
    cpuModel: cpuList[0]?.model,
    cores: cpuList.length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    kernel: release(),
    arch: arch(),
    node: process.version,
  };
}
