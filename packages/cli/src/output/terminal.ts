/**
 * The few ANSI/VT100 control sequences a view that refreshes in place needs (ECMA-48 §8.3).
 * Only written when stdout is a terminal: a pipe or a file gets plain text.
 */
const csi = '\x1b[';

/** DECTCEM off: no cursor blinking over the view while it is redrawn. */
export const hideCursor = `${csi}?25l`;
/** DECTCEM on: the cursor an operator gets back when the view stops. */
export const showCursor = `${csi}?25h`;

/**
 * One screen drawn over the previous one: cursor home (CUP), each line written over the old one
 * and erased to its end (EL), then everything below erased (ED). Overwriting rather than clearing
 * the whole screen first (`ESC[2J`) means the terminal never shows a blank screen between frames.
 */
export function redraw(lines: readonly string[]): string {
  return `${csi}H${lines.map((line) => `${line}${csi}K\n`).join('')}${csi}J`;
}

/** A time of day as `HH:MM:SS UTC`, the same clock as the ISO deadlines of the views. */
export function timeOfDay(ms: number): string {
  return `${new Date(ms).toISOString().slice(11, 19)} UTC`;
}
