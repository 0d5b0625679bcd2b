import { describe, expect, it } from 'vitest';
import type { FrameHeader } from '../../../src/protocol/frame-header.js';
import { compileRules, type MessageRuleSpec } from '../../../src/protocol/message-rules.js';
import {
  backendPolicy,
  clientPolicy,
  defaultHoldLimit,
  type RuleViolation,
  type TunnelInspection,
} from '../../../src/proxy/websocket/tunnel-policies.js';
import { ruleSpec as spec } from '../../fixtures/message-rule-spec.js';

function inspectionOf(
  options: { rule?: Partial<MessageRuleSpec>; maxMessageSize?: number; maxMessageRate?: number } = {},
) {
  const refused: Array<{ code: number; reason: string }> = [];
  const violations: RuleViolation[] = [];
  const inspection: TunnelInspection = {
    maxMessageSize: options.maxMessageSize ?? 0,
    maxMessageRate: options.maxMessageRate ?? 0,
    rule: options.rule ? compileRules([spec(options.rule)])[0] : undefined,
    refuse: (code, reason) => refused.push({ code, reason }),
    violated: (violation) => violations.push(violation),
  };
  return { inspection, refused, violations };
}

const header = (payloadLength: number, opcode = 0x1): FrameHeader => ({
  fin: true,
  rsv1: false,
  opcode,
  maskKey: undefined,
  payloadLength,
  headerLength: 2,
});

describe('clientPolicy', () => {
  it('keeps the pipe (no policy) when there is no limit, no rule and no ping', () => {
    expect(clientPolicy(inspectionOf().inspection)).toBeUndefined();
    expect(backendPolicy(inspectionOf().inspection)).toBeUndefined();
  });

  it("closes on the node's limit whatever a rule's action", () => {
    const { inspection, violations } = inspectionOf({ rule: { action: 'log', deny: ['x'] }, maxMessageSize: 100 });
    const policy = clientPolicy(inspection)!;
    expect(policy.onDataHeader(header(101))).toBe(1009);
    expect(violations).toEqual([]); // the node's limit is not a rule
  });

  it("lets a rule's own limit replace the node's, and follow the rule's action", () => {
    const logged = inspectionOf({ rule: { action: 'log', maxMessageSize: 1_000 }, maxMessageSize: 100 });
    const policy = clientPolicy(logged.inspection)!;
    expect(policy.onDataHeader(header(500))).toBeUndefined(); // over the node's 100, under the rule's 1000
    expect(policy.onDataHeader(header(1_001))).toBeUndefined(); // logged, forwarded
    expect(logged.violations.map((violation) => [violation.rule, violation.action])).toEqual([
      ['maxMessageSize', 'log'],
    ]);
    const closing = inspectionOf({ rule: { maxMessageSize: 1_000 } });
    const closingPolicy = clientPolicy(closing.inspection)!;
    expect(closingPolicy.onDataHeader(header(1_001))).toBe(1009);
    closingPolicy.onRefused(1009);
    expect(closing.refused).toEqual([{ code: 1009, reason: 'message-too-big' }]);
  });

  it('holds at most what a closing limit allows, else the default, else a larger log limit', () => {
    const hold = (rule: Partial<MessageRuleSpec>, maxMessageSize = 0): number =>
      clientPolicy(inspectionOf({ rule, maxMessageSize }).inspection)!.holdLimit;
    expect(hold({ utf8: true })).toBe(defaultHoldLimit);
    expect(hold({ utf8: true }, 4_096)).toBe(4_096);
    expect(hold({ utf8: true, maxMessageSize: 10 << 20 })).toBe(10 << 20);
    expect(hold({ utf8: true, maxMessageSize: 100, action: 'log' })).toBe(defaultHoldLimit);
  });

  it('closes a content violation with its code, or forwards it under action log', () => {
    const closing = inspectionOf({ rule: { deny: ['evil'] } });
    expect(clientPolicy(closing.inspection)!.onMessage(true, false, Buffer.from('so evil'))).toEqual({
      kind: 'close',
      code: 1008,
    });
    const logging = inspectionOf({ rule: { deny: ['evil'], action: 'log' } });
    expect(clientPolicy(logging.inspection)!.onMessage(true, false, Buffer.from('so evil'))).toEqual({
      kind: 'forward',
    });
    expect(logging.violations).toEqual([
      { rule: 'deny', detail: 'evil', direction: 'client_to_backend', action: 'log' },
    ]);
  });

  it('refuses a compressed message when permessage-deflate was not negotiated (1002), even under log', () => {
    const { inspection, violations } = inspectionOf({ rule: { utf8: true, action: 'log' } });
    expect(clientPolicy(inspection)!.onMessage(true, true, Buffer.from([1, 2, 3]))).toEqual({
      kind: 'close',
      code: 1002,
    });
    expect(violations[0]).toMatchObject({ rule: 'deflate', action: 'close' });
  });
});

describe('backendPolicy', () => {
  it('exists only for a rule with direction both, and ignores the node limits (they are for clients)', () => {
    expect(backendPolicy(inspectionOf({ rule: { deny: ['x'] }, maxMessageSize: 10 }).inspection)).toBeUndefined();
    const both = inspectionOf({ rule: { deny: ['x'], direction: 'both' }, maxMessageSize: 10 });
    const policy = backendPolicy(both.inspection)!;
    expect(policy.onDataHeader(header(1_000))).toBeUndefined();
    expect(policy.onMessage(true, false, Buffer.from('x'))).toEqual({ kind: 'close', code: 1008 });
    expect(both.violations[0]!.direction).toBe('backend_to_client');
  });
});
