// Every target `pnpm bench` knows, in the order its tables list them; tools that start targets
// by name (run.mjs, handshake-pair.mjs) pick from here.
import { directTarget } from './direct.mjs';
import { nginxTarget } from './nginx.mjs';
import { haproxyTarget } from './haproxy.mjs';
import { nodeFloorTarget, nodeFloorUndiciTarget, plainHttpProxyTarget } from './node-floor.mjs';
import {
  mooringFramesTarget,
  mooringMemoryTarget,
  mooringMetricsOffTarget,
  mooringOldSpaceFloorTarget,
  mooringPingsTarget,
  mooringRedisTarget,
  mooringRulesTarget,
  mooringV8YoungTarget,
} from './mooring.mjs';

export const allTargets = [
  directTarget,
  nginxTarget,
  haproxyTarget,
  nodeFloorTarget,
  nodeFloorUndiciTarget,
  plainHttpProxyTarget,
  mooringMemoryTarget,
  mooringRedisTarget,
  mooringFramesTarget,
  mooringMetricsOffTarget,
  mooringRulesTarget,
  mooringPingsTarget,
  mooringV8YoungTarget,
  mooringOldSpaceFloorTarget,
];
