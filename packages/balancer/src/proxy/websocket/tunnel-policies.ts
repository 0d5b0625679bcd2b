import type { FrameHeader } from '../../protocol/frame-header.js';
import { checkContent, inspectsContent, type MessageRule } from '../../protocol/message-rules.js';
import { MessageLimits } from '../../protocol/message-limits.js';
import { MessageInflater, type DeflateAgreement, type DeflateDirection } from '../../protocol/permessage-deflate.js';
import type { BalancerPings } from './balancer-pings.js';
import type { MessageVerdict, RelayPolicy } from './inspecting-relay.js';

/** Why a tunnel is closed for what it carried. */
export type RefusalReason = 'message-too-big' | 'message-rate' | 'message-rule';

/** A message rule was broken: logged and counted whatever the rule's action. */
export interface RuleViolation {
  /** `maxMessageSize`, `maxMessageRate`, `utf8`, `json`, `deny`, `inflateBudget`, `deflate`. */
  readonly rule: string;
  readonly detail?: string;
  readonly direction: 'client_to_backend' | 'backend_to_client';
  /** What was done: `close`, or `log` (counted, the message forwarded). */
  readonly action: 'close' | 'log';
}

/** What a tunnel's relays are built from. */
export interface TunnelInspection {
  /** The node's own limits on client messages (0: none): they always close, whatever a rule's action. */
  readonly maxMessageSize: number;
  readonly maxMessageRate: number;
  /** The rule of the handshake's path, if the rules file has one. */
  readonly rule?: MessageRule;
  readonly pings?: BalancerPings;
  /** What the 101 agreed for permessage-deflate, if anything. */
  readonly deflate?: DeflateAgreement;
  readonly refuse: (code: number, reason: RefusalReason) => void;
  readonly violated: (violation: RuleViolation) => void;
}

/** Without a size limit that closes, a message held for content rules may be at most this big. */
export const defaultHoldLimit = 1 << 20;

type Direction = RuleViolation['direction'];

/** The limits of one direction: the rule's own follow its action; the node's, which a rule's value replaces, close. */
interface DirectionLimits {
  readonly rule: { readonly maxMessageSize: number; readonly maxMessageRate: number };
  readonly node: { readonly maxMessageSize: number; readonly maxMessageRate: number };
}

/** The client → backend policy, or undefined when nothing needs a relay (the pipe stays). */
export function clientPolicy(inspection: TunnelInspection): RelayPolicy | undefined {
  const { rule, pings } = inspection;
  const ruleSize = rule?.spec.maxMessageSize ?? 0;
  const ruleRate = rule?.spec.maxMessageRate ?? 0;
  const node = {
    maxMessageSize: ruleSize > 0 ? 0 : inspection.maxMessageSize,
    maxMessageRate: ruleRate > 0 ? 0 : inspection.maxMessageRate,
  };
  if (!rule && !pings && node.maxMessageSize === 0 && node.maxMessageRate === 0) return undefined;
  const limits = { rule: { maxMessageSize: ruleSize, maxMessageRate: ruleRate }, node };
  return directionPolicy(inspection, 'client_to_backend', limits, inspection.deflate?.client);
}

/** The backend → client policy: only for a rule that applies both ways (the node's limits are for clients). */
export function backendPolicy(inspection: TunnelInspection): RelayPolicy | undefined {
  const { rule } = inspection;
  if (rule?.spec.direction !== 'both') return undefined;
  const limits = {
    rule: { maxMessageSize: rule.spec.maxMessageSize, maxMessageRate: rule.spec.maxMessageRate },
    node: { maxMessageSize: 0, maxMessageRate: 0 },
  };
  return directionPolicy({ ...inspection, pings: undefined }, 'backend_to_client', limits, inspection.deflate?.server);
}

/** The largest message held for inspection: what a closing limit allows, else the default (or a larger `log` limit). */
function holdLimitOf(limits: DirectionLimits, action: 'close' | 'log'): number {
  const ruleSize = limits.rule.maxMessageSize;
  if (ruleSize > 0) return action === 'close' ? ruleSize : Math.max(ruleSize, defaultHoldLimit);
  return limits.node.maxMessageSize || defaultHoldLimit;
}

function directionPolicy(
  inspection: TunnelInspection,
  direction: Direction,
  limits: DirectionLimits,
  deflate: DeflateDirection | undefined,
): RelayPolicy {
  const { rule, pings } = inspection;
  const action = rule?.spec.action ?? 'close';
  const ruleLimits = new MessageLimits(limits.rule);
  const nodeLimits = new MessageLimits(limits.node);
  let reason: RefusalReason = 'message-rule';
  const breach = (name: string, detail?: string, taken = action): void =>
    inspection.violated({ rule: name, detail, direction, action: taken });
  return {
    inspect: rule !== undefined && inspectsContent(rule),
    holdLimit: holdLimitOf(limits, action),
    onDataHeader: (header: FrameHeader) => {
      const { fin, opcode, payloadLength } = header;
      const nodeVerdict = nodeLimits.frame(fin, opcode, payloadLength);
      if (nodeVerdict !== 'ok') {
        reason = nodeVerdict === 1009 ? 'message-too-big' : 'message-rate';
        return nodeVerdict;
      }
      const verdict = ruleLimits.frame(fin, opcode, payloadLength);
      if (verdict === 'ok') return undefined;
      breach(verdict === 1009 ? 'maxMessageSize' : 'maxMessageRate');
      if (action === 'log') return undefined;
      reason = verdict === 1009 ? 'message-too-big' : 'message-rate';
      return verdict;
    },
    onMessage: contentCheck(inspection, direction, deflate, breach, () => (reason = 'message-rule')),
    dropControl: (opcode, payload) => pings?.isOwnPong(opcode, payload) ?? false,
    // A message too big to hold is refused by the relay itself, before any policy hears of it.
    onRefused: (code) =>
      inspection.refuse(code, code === 1009 && reason === 'message-rule' ? 'message-too-big' : reason),
    onTraffic: pings ? () => pings.heard() : undefined,
  };
}

/** The content checks of a held, complete message: inflated first when compressed. */
function contentCheck(
  inspection: TunnelInspection,
  direction: Direction,
  deflate: DeflateDirection | undefined,
  breach: (name: string, detail?: string, taken?: 'close' | 'log') => void,
  contentReason: () => void,
): (text: boolean, compressed: boolean, payload: Buffer) => MessageVerdict {
  const rule = inspection.rule!;
  // Messages are read in order whether or not they are compressed, so that context takeover holds.
  const inflater = deflate && new MessageInflater(deflate);
  return (text, compressed, payload) => {
    contentReason();
    let data = payload;
    if (compressed && !inflater) {
      // RSV1 without a negotiated extension: RFC 6455 §5.2 fails the connection.
      breach('deflate', 'compressed message without permessage-deflate', 'close');
      return { kind: 'close', code: 1002 };
    }
    if (compressed) {
      const inflated = inflater!.inflate(payload, rule.spec.inflateBudget);
      if (inflated.kind !== 'ok') {
        const tooBig = inflated.kind === 'too-big';
        // A message that cannot be read cannot be let through uninspected, whatever the action.
        breach(
          tooBig ? 'inflateBudget' : 'deflate',
          inflated.kind === 'corrupt' ? inflated.reason : undefined,
          'close',
        );
        return { kind: 'close', code: tooBig ? 1009 : 1007 };
      }
      data = inflated.data;
    }
    const violation = checkContent(rule, text, data);
    if (!violation) return { kind: 'forward' };
    breach(violation.rule, 'detail' in violation ? violation.detail : undefined);
    return rule.spec.action === 'close' ? { kind: 'close', code: violation.code } : { kind: 'forward' };
  };
}
