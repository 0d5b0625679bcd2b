import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { compileDenyPatterns, type MessageRuleSpec } from '../protocol/message-rules.js';
import { ConfigError } from './config-error.js';

/** Most bytes a compressed message may inflate to for inspection, unless its rule says otherwise. */
export const defaultInflateBudget = 1 << 20;

/** Longest deny pattern: RE2 compiles in time linear in the pattern, but a megabyte of it is a mistake. */
const maxPatternLength = 1_000;

const byteCount = z.number().int().min(0);

const ruleSchema = z
  .strictObject({
    path: z.string().regex(/^\/[^\s?#]*$/, 'expected a path prefix starting with / (no spaces, query or fragment)'),
    direction: z.enum(['client', 'both']).default('client'),
    action: z.enum(['close', 'log']).default('close'),
    maxMessageSize: byteCount.default(0),
    maxMessageRate: z.number().min(0).default(0),
    utf8: z.boolean().default(false),
    json: z
      .strictObject({
        maxDepth: z.number().int().min(1).max(1_000).default(32),
        maxSize: z
          .number()
          .int()
          .min(1)
          .default(1 << 20),
      })
      .optional(),
    deny: z.array(z.string().min(1).max(maxPatternLength)).max(100).default([]),
    inflateBudget: z.number().int().min(1024).default(defaultInflateBudget),
  })
  .superRefine((rule, ctx) => {
    try {
      compileDenyPatterns(rule.deny);
    } catch (err) {
      ctx.addIssue({ code: 'custom', path: ['deny'], message: (err as Error).message });
    }
  });

const fileSchema = z.strictObject({ rules: z.array(ruleSchema).default([]) }).superRefine((file, ctx) => {
  const seen = new Set<string>();
  for (const [index, rule] of file.rules.entries()) {
    if (seen.has(rule.path)) {
      ctx.addIssue({ code: 'custom', path: ['rules', index, 'path'], message: `duplicate path ${rule.path}` });
    }
    seen.add(rule.path);
  }
});

/**
 * The rules of a `--message-rules` file (YAML or JSON: `rules:` a list, one per path prefix).
 * Throws ConfigError naming the file and the field: `messageRules (rules.yaml): rules.0.deny:
 * deny.1 "(a)\1": invalid escape…`. A pattern RE2 cannot compile (backreferences, lookaround) is
 * refused here, so workers only ever compile patterns known to be good.
 */
export function parseMessageRules(text: string, file: string): MessageRuleSpec[] {
  let parsed: unknown;
  try {
    parsed = parseYaml(text);
  } catch (err) {
    throw new ConfigError(`messageRules (${file}): not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const result = fileSchema.safeParse(parsed ?? {});
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.') || 'file';
    const message =
      issue.code === 'unrecognized_keys'
        ? `unknown key ${issue.keys.map((key) => JSON.stringify(key)).join(', ')}`
        : issue.message;
    throw new ConfigError(`messageRules (${file}): ${field}: ${message}`);
  }
  return result.data.rules;
}

/** Reads and checks a rules file; throws ConfigError (unreadable, not YAML, a bad rule). */
export function readMessageRules(file: string): MessageRuleSpec[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`messageRules (${file}): cannot read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return parseMessageRules(text, file);
}
