import { parseDuration } from '../config/duration.js';
import { defaultCloseCode, isSendableCloseCode, sendableCloseCodesText } from '../protocol/close-codes.js';
import { invalidArgument } from './operator-error.js';

/** Terms of a drain as the operator gave them, checked. */
export interface DrainTerms {
  /** From now until the remaining sessions are closed, paced; 0 closes from now. */
  readonly deadlineMs: number;
  /** Closes per second, cluster-wide, after the deadline. */
  readonly closeRate: number;
  /** WebSocket close code sent to clients. */
  readonly closeCode: number;
}

/** The defaults of `backend drain` and of the API's `POST backends/ID/drain`: 5m, 100/s, 1012. */
export const drainDefaults = { deadline: '5m', closeRate: 100, closeCode: defaultCloseCode } as const;

/**
 * Drain terms as given, unchecked: text from a command line, numbers or text from JSON. The
 * deadline is a duration (`30s`, `5m`) or a number of milliseconds. Absent: the default.
 */
export interface DrainTermsInput {
  readonly deadline?: unknown;
  readonly closeRate?: unknown;
  readonly closeCode?: unknown;
}

/** How the caller calls each term in its messages (`--close-rate` on the command line). */
export interface DrainTermNames {
  readonly deadline: string;
  readonly closeRate: string;
  readonly closeCode: string;
}

/** The names of the JSON API's body. */
export const drainTermKeys: DrainTermNames = { deadline: 'deadline', closeRate: 'closeRate', closeCode: 'closeCode' };

/**
 * Checks drain terms: a deadline of 0 or more, a close rate above 0 and a close code that may
 * be sent. Throws MOORING_ERR_OPERATOR_INVALID_ARGUMENT naming the term and what was given.
 */
export function checkDrainTerms(input: DrainTermsInput, names: DrainTermNames = drainTermKeys): DrainTerms {
  const closeCodeGiven = input.closeCode ?? drainDefaults.closeCode;
  const closeCode = numberOf(closeCodeGiven);
  // The data plane's own rule: a code that passes here is one every node can put in a close frame.
  if (!isSendableCloseCode(closeCode)) {
    const expected = `a WebSocket close code that may be sent (${sendableCloseCodesText}) such as 1012 or 1001`;
    throw invalidArgument(`${names.closeCode}: expected ${expected}, got ${shown(closeCodeGiven)}`);
  }
  const deadlineGiven = input.deadline ?? drainDefaults.deadline;
  const deadlineMs = parseDuration(deadlineGiven);
  if (deadlineMs === undefined) {
    const expected = 'a duration such as 30s, 5m or 1h';
    throw invalidArgument(`${names.deadline}: expected ${expected}, got ${shown(deadlineGiven)}`);
  }
  const closeRateGiven = input.closeRate ?? drainDefaults.closeRate;
  const closeRate = numberOf(closeRateGiven);
  if (!Number.isFinite(closeRate) || closeRate <= 0) {
    throw invalidArgument(`${names.closeRate}: expected a positive number, got ${shown(closeRateGiven)}`);
  }
  return { deadlineMs, closeRate, closeCode };
}

/** A number, or the text of one (flags arrive as text); anything else is not a number. */
function numberOf(value: unknown): number {
  if (typeof value === 'number') return value;
  return typeof value === 'string' ? Number(value) : Number.NaN;
}

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
