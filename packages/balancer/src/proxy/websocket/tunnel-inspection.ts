import type { DeadlineWheel } from '../deadline-wheel.js';
import type { Logger } from 'pino';
import { ruleForPath, type MessageRule } from '../../protocol/message-rules.js';
import type { DeflateAgreement } from '../../protocol/permessage-deflate.js';
import type { DataPlaneMetrics } from '../data-plane-metrics.js';
import { BalancerPings } from './balancer-pings.js';
import type { RefusalReason, TunnelInspection } from './tunnel-policies.js';
import { ViolationLog } from './violation-log.js';

/** What of the worker's settings a tunnel's inspection depends on. */
export interface InspectionSettings {
  readonly maxMessageSize: number;
  readonly maxMessageRate: number;
  readonly pings?: { readonly intervalMs: number; readonly timeoutMs: number };
  readonly messageRules: () => readonly MessageRule[];
  readonly metrics: DataPlaneMetrics;
  readonly log: Logger;
  /** The worker's deadline wheel, which times the pings. */
  readonly deadlines: DeadlineWheel;
}

/** The session a tunnel belongs to, as its inspection sees it. */
export interface InspectedSession {
  readonly id: string;
  readonly client: string;
  /** The handshake's request target: its path picks the rule. */
  readonly path: string;
  readonly backend: () => string | undefined;
  readonly deflate: DeflateAgreement | undefined;
  /** Writes a frame of Mooring's own to the client, between two backend frames. */
  readonly inject: (frame: Buffer) => void;
  readonly closeGently: (code: number, reason: RefusalReason | 'ping-timeout') => void;
}

/**
 * What the relays of one tunnel enforce: the node's limits, the rule of the handshake's path
 * (chosen once: a SIGHUP's new rules apply to the sessions that open after it), and the pings,
 * whose timer the session stops when it ends. A violation is counted every time and logged at
 * most once a second.
 */
export function inspectTunnel(
  settings: InspectionSettings,
  session: InspectedSession,
): { inspection: TunnelInspection; pings: BalancerPings | undefined } {
  const { metrics, log } = settings;
  const rule = ruleForPath(settings.messageRules(), session.path);
  const pings =
    settings.pings &&
    new BalancerPings(
      { inject: session.inject, timedOut: () => session.closeGently(1001, 'ping-timeout') },
      { ...settings.pings, name: session.id, wheel: settings.deadlines },
    );
  const violations =
    rule &&
    new ViolationLog((violation, suppressed) => {
      const where = { session: session.id, backend: session.backend(), client: session.client, path: rule.spec.path };
      log.warn({ ...where, ...violation, suppressed }, 'message rule violated');
    });
  const inspection: TunnelInspection = {
    maxMessageSize: settings.maxMessageSize,
    maxMessageRate: settings.maxMessageRate,
    rule,
    pings,
    deflate: session.deflate,
    refuse: (code, reason) => session.closeGently(code, reason),
    violated: (violation) => {
      metrics.messageRuleViolated(violation);
      violations?.report(violation);
    },
  };
  return { inspection, pings };
}
