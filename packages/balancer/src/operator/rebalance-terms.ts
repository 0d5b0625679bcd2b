import { parseDuration } from '../config/duration.js';
import { invalidArgument } from './operator-error.js';

/** Terms of a rebalance as the operator gave them, checked. */
export interface RebalanceTerms {
  /** How far from its weighted share a backend may be, as a fraction (0.1 for 10 %). */
  readonly tolerance: number;
  /** Closes per second, cluster-wide. */
  readonly rate: number;
  /** Sessions younger than this are never closed. */
  readonly minAgeMs: number;
  /** Stop after this long even if not balanced; undefined: until balanced. */
  readonly forMs: number | undefined;
}

/** The defaults of `mooring rebalance`: 10 %, 20/s, sessions of 30 s or more, until balanced. */
export const rebalanceDefaults = { tolerance: '10%', rate: '20/s', minAge: '30s' } as const;

/** The most closes per second a rebalance may ask for (a drain's close-rate has no use beyond it either). */
const maxRate = 10_000;

/** Terms as given: text from a command line. Absent: the default. */
export interface RebalanceTermsInput {
  readonly tolerance?: string;
  readonly rate?: string;
  readonly minAge?: string;
  readonly for?: string;
}

/** How the caller calls each term in its messages. */
export interface RebalanceTermNames {
  readonly tolerance: string;
  readonly rate: string;
  readonly minAge: string;
  readonly for: string;
}

const flagNames: RebalanceTermNames = { tolerance: '--tolerance', rate: '--rate', minAge: '--min-age', for: '--for' };

/**
 * Checks a rebalance's terms: a tolerance from 0 % to under 100 % (`10%`, or `10`), a rate above 0
 * and at most 10000 per second (`20` or `20/s`), a minimum age and a `--for` that are durations
 * (`--for` above 0). Throws MOORING_ERR_OPERATOR_INVALID_ARGUMENT naming the term and what was given.
 */
export function checkRebalanceTerms(input: RebalanceTermsInput, names = flagNames): RebalanceTerms {
  const toleranceText = input.tolerance ?? rebalanceDefaults.tolerance;
  const percent = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(toleranceText);
  const tolerance = percent ? Number(percent[1]) / 100 : Number.NaN;
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw invalidArgument(
      `${names.tolerance}: expected a percentage from 0% to under 100% such as 10%, got ${shown(toleranceText)}`,
    );
  }
  const rateText = input.rate ?? rebalanceDefaults.rate;
  const perSecond = /^\s*(\d+(?:\.\d+)?)\s*(?:\/s)?\s*$/.exec(rateText);
  const rate = perSecond ? Number(perSecond[1]) : Number.NaN;
  if (!(rate > 0 && rate <= maxRate)) {
    throw invalidArgument(
      `${names.rate}: expected closes per second above 0 and at most ${maxRate} such as 20/s, got ${shown(rateText)}`,
    );
  }
  const minAgeText = input.minAge ?? rebalanceDefaults.minAge;
  const minAgeMs = parseDuration(minAgeText);
  if (minAgeMs === undefined)
    throw invalidArgument(`${names.minAge}: expected ${durationText}, got ${shown(minAgeText)}`);
  const forMs = input.for === undefined ? undefined : parseDuration(input.for);
  if (input.for !== undefined && !(forMs !== undefined && forMs > 0)) {
    throw invalidArgument(`${names.for}: expected ${durationText} above 0, got ${shown(input.for)}`);
  }
  return { tolerance, rate, minAgeMs, forMs };
}

const durationText = 'a duration such as 30s, 5m or 1h';

function shown(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}
