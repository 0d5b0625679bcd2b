import type { IncomingHttpHeaders } from 'node:http';
import type { RouteKind } from '../core/session-record.js';
import type { Candidate } from '../core/backend.js';
import type { BackendPool } from './backend-pool.js';
import { BalancingRouter } from './balancing-router.js';
import { pickByHash } from './bounded-load.js';
import { eligible, type BalancePolicy } from './choose-backend.js';
import { HashRing } from './hash-ring.js';
import { extractHashKey, type HashKeySpec } from './hash-key.js';
import { readCookie, type CookieCodec } from './sticky-cookie.js';

/** The parts of a request that routing reads. */
export interface RoutingRequest {
  /** The client's address: the peer, or the first X-Forwarded-For entry of a trusted peer. */
  readonly clientAddress: string;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
}

/** Where a request or handshake goes, best first, and how that was decided. */
export interface RoutingDecision {
  /** Candidates in order: the first is the choice, the rest the failover order. */
  readonly order: readonly Candidate[];
  readonly route: RouteKind;
  /** Cookie mode: the response must (re)issue the cookie even if the first candidate serves. */
  readonly issueCookie: boolean;
  /** Whether cookie stickiness is on, so that a failover re-pins the cookie. */
  readonly cookieMode: boolean;
}

/** How sessions stick to backends. */
export type StickyOptions =
  | { readonly mode: 'none' }
  | { readonly mode: 'cookie'; readonly cookieName: string; readonly codec: CookieCodec }
  | { readonly mode: 'hash'; readonly key: HashKeySpec; readonly balanceFactor?: number };

/**
 * Routes one request or handshake of a worker: by sticky cookie, by consistent hash, or by the
 * balancing policy. Every worker of every node builds the same ring from the same sorted set
 * and reads the same signed cookies, so a session lands on the same backend through any of them.
 */
export class SessionRouter {
  readonly #pool: BackendPool;
  readonly #balancer: BalancingRouter;
  readonly #sticky: StickyOptions;
  #ring: { signature: string; ring: HashRing } | undefined;

  constructor(pool: BackendPool, balance: BalancePolicy, sticky: StickyOptions) {
    this.#pool = pool;
    this.#balancer = new BalancingRouter(pool, balance);
    this.#sticky = sticky;
  }

  route(request: RoutingRequest): RoutingDecision {
    switch (this.#sticky.mode) {
      case 'none':
        return { order: this.#balancer.pick(), route: 'balance', issueCookie: false, cookieMode: false };
      case 'cookie':
        return this.#routeByCookie(request, this.#sticky.cookieName, this.#sticky.codec);
      case 'hash':
        return this.#routeByHash(request, this.#sticky.key, this.#sticky.balanceFactor);
    }
  }

  #routeByCookie(request: RoutingRequest, name: string, codec: CookieCodec): RoutingDecision {
    const value = readCookie(typeof request.headers.cookie === 'string' ? request.headers.cookie : undefined, name);
    if (value === undefined)
      return { order: this.#balancer.pick(), route: 'balance', issueCookie: true, cookieMode: true };
    const decoded = codec.decode(value);
    const pinned =
      'backendId' in decoded
        ? eligible(this.#pool.candidates()).find((candidate) => candidate.backend.id === decoded.backendId)
        : undefined;
    // A tampered cookie, or one naming a backend that is draining, unhealthy or gone, is
    // replaced by a fresh choice: never an error to the client.
    if (!pinned) return { order: this.#balancer.pick(), route: 'cookie-repinned', issueCookie: true, cookieMode: true };
    const rest = this.#balancer
      .peek()
      .filter((candidate) => candidate !== pinned && candidate.backend.id !== pinned.backend.id);
    return {
      order: [pinned, ...rest],
      route: 'cookie',
      issueCookie: 'resign' in decoded && decoded.resign,
      cookieMode: true,
    };
  }

  #routeByHash(request: RoutingRequest, spec: HashKeySpec, balanceFactor: number | undefined): RoutingDecision {
    const key = extractHashKey(spec, {
      remoteAddress: request.clientAddress,
      headers: request.headers,
      url: request.url,
    });
    if (key === undefined)
      return { order: this.#balancer.pick(), route: 'fallback', issueCookie: false, cookieMode: false };
    const candidates = eligible(this.#pool.candidates());
    const ring = this.#ringFor(candidates);
    const pick = pickByHash(ring, key, candidates, { balanceFactor });
    if (!pick) return { order: [], route: 'hash', issueCookie: false, cookieMode: false };
    const byId = new Map(candidates.map((candidate) => [candidate.backend.id, candidate]));
    const order = [byId.get(pick.backendId)!];
    // Failover follows the ring, so every node fails a key over to the same next backend.
    for (const id of ring.walk(key)) if (id !== pick.backendId && byId.has(id)) order.push(byId.get(id)!);
    return { order, route: pick.route, issueCookie: false, cookieMode: false };
  }

  /** The ring of the eligible set, rebuilt only when that set (ids, weights) changes. */
  #ringFor(candidates: readonly Candidate[]): HashRing {
    const signature = candidates
      .map((candidate) => `${candidate.backend.id}*${candidate.backend.weight}`)
      .sort()
      .join(',');
    if (this.#ring?.signature !== signature)
      this.#ring = {
        signature,
        ring: HashRing.build(
          candidates.map((candidate) => candidate.backend),
          this.#ring?.ring,
        ),
      };
    return this.#ring.ring;
  }
}
