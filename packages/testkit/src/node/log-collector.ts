import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { TestkitError } from '../errors/testkit-error.js';

/** One parsed pino line. */
export type LogLine = Record<string, unknown>;

/**
 * Collects a child's output line by line: JSON objects (pino) go to `logs`,
 * every line (JSON or not, stdout and stderr) to `rawOutput`.
 */
export class LogCollector {
  readonly logs: LogLine[] = [];
  readonly rawOutput: string[] = [];
  readonly #events = new EventEmitter();
  #endedReason: string | undefined;

  /** Starts reading a stream; JSON is only parsed from `stdout`. */
  attach(stream: Readable, parseJson: boolean): void {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => this.#addLine(line, parseJson));
  }

  /** Marks the output finished: pending and future waits fail with `reason`. */
  end(reason: string): void {
    this.#endedReason = reason;
    this.#events.emit('end');
  }

  /** The output so far, for error messages. */
  text(): string {
    return this.rawOutput.join('\n');
  }

  /**
   * Resolves with the first log line (already received or future) that
   * matches; rejects after `timeoutMs` or when the output ends without one.
   */
  waitFor(predicate: (line: LogLine) => boolean, timeoutMs = 5000): Promise<LogLine> {
    const found = this.logs.find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const cleanup = (): void => {
        clearTimeout(timer);
        this.#events.off('log', onLog);
        this.#events.off('end', onEnd);
      };
      const onLog = (line: LogLine): void => {
        if (!predicate(line)) return;
        cleanup();
        resolve(line);
      };
      const onEnd = (): void => {
        cleanup();
        reject(
          new TestkitError('TESTKIT_ERR_CLOSED', `${this.#endedReason ?? 'output ended'}; output:\n${this.text()}`),
        );
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(
          new TestkitError(
            'TESTKIT_ERR_TIMEOUT',
            `no matching log line within ${timeoutMs} ms; output:\n${this.text()}`,
          ),
        );
      }, timeoutMs);
      this.#events.on('log', onLog);
      this.#events.on('end', onEnd);
      if (this.#endedReason !== undefined) onEnd();
    });
  }

  #addLine(line: string, parseJson: boolean): void {
    this.rawOutput.push(line);
    if (!parseJson || !line.startsWith('{')) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      return;
    }
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
      this.logs.push(parsed as LogLine);
      this.#events.emit('log', parsed);
    }
  }
}
