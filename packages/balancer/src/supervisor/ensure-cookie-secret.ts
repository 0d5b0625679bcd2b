import type { Logger } from 'pino';
import { generateSecret } from '../routing/sticky-cookie.js';
import type { MooringConfig } from '../config/schema.js';

/**
 * Cookie stickiness needs a secret that every worker shares. Without a configured one the
 * primary generates one for this node's workers and says plainly what that costs: other nodes
 * cannot verify these cookies, so a client moving between nodes is re-pinned.
 */
export function ensureCookieSecret(config: Readonly<MooringConfig>, log: Logger): Readonly<MooringConfig> {
  if (config.sticky !== 'cookie' || config.cookieSecret) return config;
  log.warn(
    'no --cookie-secret set: generated one for this node only; other nodes will not accept its sticky cookies, so set the same secret on every node',
  );
  return Object.freeze({ ...config, cookieSecret: generateSecret() });
}
