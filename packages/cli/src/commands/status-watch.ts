import { CliError, exitCodes } from '../cli-error.js';
import type { CommandDeps } from '../command-deps.js';
import { hideCursor, redraw, showCursor, timeOfDay } from '../output/terminal.js';
import { durationOption } from './duration-option.js';

/** `--interval` when not given. */
export const defaultWatchIntervalMs = 2_000;
/**
 * The shortest `--interval`: each refresh is a handful of Redis reads, and faster than a person
 * can read a table is load on the shared state for nothing.
 */
export const minWatchIntervalMs = 200;

/** How `status --watch` runs, once its flags are checked. */
export interface WatchOptions {
  readonly intervalMs: number;
  /** One JSON line per refresh (NDJSON) instead of the table. */
  readonly json: boolean;
}

/** One reading of the view: the one-shot command (`status`), writing to the writers it is given. */
export type ViewCommand = (deps: CommandDeps) => Promise<number>;

/** What the watcher knows after each refresh. */
interface WatchState {
  /** The last view read, and when its reading started. */
  readonly view?: { readonly text: string; readonly at: number };
  /** Set while refreshes fail: since when, and the latest failure. */
  readonly outage?: { readonly since: number; readonly message: string };
}

type Refresh = { readonly text: string } | { readonly failure: string };

/** How frames reach the output: what comes before the first, each frame, and what comes last. */
interface Screen {
  readonly start: string;
  frame(state: WatchState, at: number, first: boolean): string;
  readonly end: string;
}

const stopped = Symbol('stopped');

/**
 * Checks `--watch` and `--interval` before Redis is contacted (exit 2 when unusable); undefined
 * when not watching.
 */
export function watchOptions(flags: {
  readonly watch?: boolean;
  readonly interval?: string;
  readonly json?: boolean;
}): WatchOptions | undefined {
  if (!flags.watch) {
    if (flags.interval !== undefined) throw new CliError('--interval: only with --watch', exitCodes.usage);
    return undefined;
  }
  const text = flags.interval;
  const intervalMs = text === undefined ? defaultWatchIntervalMs : durationOption('--interval', text);
  if (intervalMs < minWatchIntervalMs) {
    throw new CliError(`--interval: at least ${minWatchIntervalMs}ms, got ${JSON.stringify(text)}`, exitCodes.usage);
  }
  return { intervalMs, json: flags.json === true };
}

/**
 * `status --watch`: reads the view every interval and shows it until Ctrl-C, then exits 0. A
 * failed reading (Redis away) does not end the watch: the outage is shown with the last view, and
 * the next interval tries again. The view comes from `view`, the one-shot command, so the watch
 * shows exactly what `status` prints, whatever `status` comes to gather.
 */
export async function runStatusWatch(options: WatchOptions, deps: CommandDeps, view: ViewCommand): Promise<number> {
  const stop = new AbortController();
  const removeHandler = deps.onInterrupt?.(() => stop.abort()) ?? (() => undefined);
  const interrupted = new Promise<typeof stopped>((resolve) =>
    stop.signal.addEventListener('abort', () => resolve(stopped), { once: true }),
  );
  const screen = screenFor(options, deps);
  if (screen.start) deps.out(screen.start);
  try {
    let state: WatchState = {};
    for (let first = true; ; first = false) {
      const at = deps.now();
      // Ctrl-C wins over a reading in flight: a Redis that hangs must not hold the terminal.
      const result = await Promise.race([refresh(view, deps), interrupted]);
      if (result === stopped) break;
      state = advance(state, result, at);
      deps.out(screen.frame(state, at, first));
      // Counted from the start of the reading, so a slow one does not stretch the interval.
      const wait = Math.max(0, options.intervalMs - (deps.now() - at));
      if ((await Promise.race([deps.sleep(wait, stop.signal), interrupted])) === stopped) break;
    }
    return exitCodes.ok;
  } finally {
    removeHandler();
    if (screen.end) deps.out(screen.end);
  }
}

/** Runs the view once with captured writers: its output is the view, its error line the failure. */
async function refresh(view: ViewCommand, deps: CommandDeps): Promise<Refresh> {
  let text = '';
  let failure = '';
  const code = await view({
    ...deps,
    out: (chunk) => void (text += chunk),
    err: (chunk) => void (failure += chunk),
  });
  if (code === exitCodes.ok) return { text };
  // The header already says who is speaking: drop the program name of the one-line error.
  return { failure: failure.trim().replace(/^mooring: /, '') || `status exited ${code}` };
}

function advance(state: WatchState, result: Refresh, at: number): WatchState {
  if ('text' in result) return { view: { text: result.text, at } };
  return { ...state, outage: { since: state.outage?.since ?? at, message: result.failure } };
}

function screenFor(options: WatchOptions, deps: CommandDeps): Screen {
  const every = formatInterval(options.intervalMs);
  if (options.json) return { start: '', end: '', frame: (state, at) => jsonLine(state, at) };
  if (deps.outIsTTY) return { start: hideCursor, end: showCursor, frame: (state) => redraw(ttyLines(state, every)) };
  // A pipe or a file keeps every frame: a blank line between them, each under its timestamp.
  return { start: '', end: '', frame: (state, at, first) => `${first ? '' : '\n'}${plainFrame(state, at, every)}` };
}

/** The terminal's screen: a header with the cluster state, then the view (the last one in an outage). */
function ttyLines(state: WatchState, every: string): string[] {
  const [summary = '', ...body] = (state.view?.text ?? '').replace(/\n$/, '').split('\n');
  if (!state.outage) {
    return [`${summary} · refreshed ${timeOfDay(state.view?.at ?? 0)} · every ${every} · Ctrl-C to stop`, ...body];
  }
  const header = `${outageLine(state.outage.since, every)} · Ctrl-C to stop`;
  const last = state.view ? `last view, ${timeOfDay(state.view.at)}: ${summary}` : 'no view read yet';
  return [header, state.outage.message, last, ...body];
}

/** A pipe's frame: only the outage line when there is one, since a stale table in a log misleads. */
function plainFrame(state: WatchState, at: number, every: string): string {
  const stamp = `status at ${new Date(at).toISOString()}\n`;
  if (state.outage) return `${stamp}${outageLine(state.outage.since, every)}: ${state.outage.message}\n`;
  return `${stamp}${state.view?.text ?? ''}`;
}

/** NDJSON: the `status --json` object with `at` first, or an outage line with `unreachableSince`. */
function jsonLine(state: WatchState, at: number): string {
  const stamp = new Date(at).toISOString();
  if (state.outage) {
    const since = new Date(state.outage.since).toISOString();
    return `${JSON.stringify({ at: stamp, unreachableSince: since, error: state.outage.message })}\n`;
  }
  const status = JSON.parse(state.view?.text ?? '{}') as Record<string, unknown>;
  return `${JSON.stringify({ at: stamp, ...status })}\n`;
}

function outageLine(since: number, every: string): string {
  return `shared state unreachable since ${timeOfDay(since)} · retrying every ${every}`;
}

/** `200ms`, `2s`, `1.5s`: exact, unlike a rounded age. */
function formatInterval(ms: number): string {
  return ms < 1_000 ? `${ms}ms` : `${ms / 1_000}s`;
}
