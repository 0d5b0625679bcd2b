import { isUtf8 } from 'node:buffer';
import { RE2JS } from 're2js';
import { jsonDepth } from './json-depth.js';

/** A rule's checks on message content, after its limits. */
export interface ContentRule {
  /** Text messages must be valid UTF-8 (RFC 6455 §8.1): else close 1007. */
  readonly utf8: boolean;
  /** Text messages must be JSON no deeper than this and no longer than `maxSize`: else 1008. */
  readonly json?: { readonly maxDepth: number; readonly maxSize: number };
  /** Text messages must match none of these (RE2 semantics: linear time, no backtracking): else 1008. */
  readonly deny: readonly RE2JS[];
  /** The source of each deny pattern, in order, for logs. */
  readonly denySources: readonly string[];
}

/** Why a message broke its rule, and the close code that says so. */
export type ContentViolation =
  | { readonly rule: 'utf8'; readonly code: 1007 }
  | { readonly rule: 'json'; readonly code: 1008; readonly detail: string }
  | { readonly rule: 'deny'; readonly code: 1008; readonly detail: string };

/** Whether a rule looks at content at all (else messages are relayed without being held). */
export function inspectsContent(rule: ContentRule): boolean {
  return rule.utf8 || rule.json !== undefined || rule.deny.length > 0;
}

/**
 * Checks one whole message (reassembled, inflated) against a rule. Binary messages are only
 * subject to the limits, not to these text rules. Pure; bounded by the message size (the
 * caller enforces it first) since RE2 matching is linear.
 */
export function checkContent(rule: ContentRule, text: boolean, payload: Buffer): ContentViolation | undefined {
  if (!text) return undefined;
  if ((rule.utf8 || rule.json || rule.deny.length > 0) && !isUtf8(payload)) return { rule: 'utf8', code: 1007 };
  const string = payload.toString('utf8');
  if (rule.json) {
    const problem = jsonProblem(string, rule.json.maxDepth, rule.json.maxSize, payload.length);
    if (problem) return { rule: 'json', code: 1008, detail: problem };
  }
  for (const [index, pattern] of rule.deny.entries()) {
    if (pattern.matcher(string).find()) return { rule: 'deny', code: 1008, detail: rule.denySources[index] ?? '' };
  }
  return undefined;
}

function jsonProblem(text: string, maxDepth: number, maxSize: number, bytes: number): string | undefined {
  if (bytes > maxSize) return `JSON of ${bytes} bytes, more than ${maxSize}`;
  if (jsonDepth(text, maxDepth) > maxDepth) return `JSON nested deeper than ${maxDepth}`;
  try {
    JSON.parse(text);
    return undefined;
  } catch {
    return 'not well-formed JSON';
  }
}

/**
 * Compiles deny patterns with RE2 semantics (re2js): matching time is linear in the text, so a
 * pattern like `(a+)+$` cannot be made to backtrack for ever. Throws naming the pattern when one
 * does not compile (RE2 has no backreferences or lookaround).
 */
export function compileDenyPatterns(patterns: readonly string[]): RE2JS[] {
  return patterns.map((pattern, index) => {
    try {
      return RE2JS.compile(pattern);
    } catch (err) {
      throw new Error(`deny.${index} ${JSON.stringify(pattern)}: ${(err as Error).message}`);
    }
  });
}

/** One rule of the rules file as written (plain data: it crosses IPC to the workers). */
export interface MessageRuleSpec {
  /** Path prefix of the WebSocket handshakes it governs; the longest matching prefix wins. */
  readonly path: string;
  /** `client`: client → backend messages only; `both`: backend → client ones too. */
  readonly direction: 'client' | 'both';
  /** `close`: a violation closes the tunnel (its code); `log`: it is logged and counted, the message goes on. */
  readonly action: 'close' | 'log';
  /** Largest message (bytes on the wire, fragments summed); 0: the node's --max-message-size. */
  readonly maxMessageSize: number;
  /** Messages per second; 0: the node's --max-message-rate. */
  readonly maxMessageRate: number;
  readonly utf8: boolean;
  readonly json?: { readonly maxDepth: number; readonly maxSize: number };
  readonly deny: readonly string[];
  /** Most bytes a compressed message may inflate to for inspection; beyond: 1009. */
  readonly inflateBudget: number;
}

/** A rule ready to apply: its deny patterns compiled. */
export interface MessageRule extends ContentRule {
  readonly spec: MessageRuleSpec;
}

/** Compiles rules as the rules file gave them (the patterns were checked when it was read). */
export function compileRules(specs: readonly MessageRuleSpec[]): MessageRule[] {
  return specs.map((spec) => ({
    spec,
    utf8: spec.utf8,
    json: spec.json,
    deny: compileDenyPatterns(spec.deny),
    denySources: spec.deny,
  }));
}

/** The rule of the longest `path` prefix of `path`, if any (a path is compared without its query). */
export function ruleForPath(rules: readonly MessageRule[], path: string): MessageRule | undefined {
  const target = path.split('?')[0] ?? path;
  let best: MessageRule | undefined;
  for (const rule of rules) {
    if (target.startsWith(rule.spec.path) && (!best || rule.spec.path.length > best.spec.path.length)) best = rule;
  }
  return best;
}
