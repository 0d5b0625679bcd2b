import { unwatchFile, watchFile } from 'node:fs';

/** How often certificate files are looked at: a renewed certificate is in use within seconds. */
const pollMs = 1_000;

/**
 * Watches the TLS files for changes and calls `changed` once per change. Polling `stat`, not
 * `fs.watch`: it sees files replaced by rename (certbot), and Kubernetes secrets whose symlinks
 * are swapped, where `fs.watch` on the old inode goes quiet.
 */
export class TlsFileWatcher {
  readonly #files: readonly string[];
  readonly #listener: (current: { mtimeMs: number; ino: number }, previous: { mtimeMs: number; ino: number }) => void;

  constructor(files: readonly string[], changed: () => void) {
    this.#files = [...new Set(files)];
    this.#listener = (current, previous) => {
      if (current.mtimeMs !== previous.mtimeMs || current.ino !== previous.ino) changed();
    };
    for (const file of this.#files) watchFile(file, { interval: pollMs, persistent: false }, this.#listener);
  }

  close(): void {
    for (const file of this.#files) unwatchFile(file, this.#listener);
  }
}
