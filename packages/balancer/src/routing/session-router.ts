import type { IncomingHttpHeaders } from 'node:http';
import type { RouteKind } from '../core/session-record.js';
import type { BackendPool } from './backend-pool.js';
import { BalancingRouter } from './balancing-router.js';
import { toPercent } from './bounded-load.js';
import { noCandidates, type CandidateOrder } from './candidate-order.js';
import type { BalancePolicy } from './choose-backend.js';
import { HashPlacement } from './hash-placement.js';
import { extractHashKey, type HashKeySpec } from './hash-key.js';
import { aboveShare } from './share-bound.js';
import { readCookie, type CookieCodec } from './sticky-cookie.js';

/** The parts of a request that routing reads. */
export interface RoutingRequest {
  /** The client's address: the peer, or the first X-Forwarded-For entry of a trusted peer. */
  readonly clientAddress: string;
  readonly headers: IncomingHttpHeaders;
  readonly url: string;
  /** A WebSocket handshake (a plain HTTP request otherwise). */
  readonly upgrade?: boolean;
}

/** Where a request or handshake goes, best first, and how that was decided. */
export interface RoutingDecision {
  /**
   * Candidates in order: `order.first` is the choice (undefined: no backend is eligible), and
   * `order.at(i)` for i ≥ 1 the failover order, ranked only when a failover first asks for it.
   */
  readonly order: CandidateOrder;
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
 *
 * A decision sorts nothing and builds no map: what it reads is rebuilt once per generation of
 * the pool (BackendPool#routable). It finds only its first candidate; the failover order is
 * ranked, from what the decision saw, when a failover asks for it (CandidateOrder).
 */
export class SessionRouter {
  readonly #pool: BackendPool;
  readonly #balancer: BalancingRouter;
  readonly #sticky: StickyOptions;
  /** Bounded load in hundredths, validated once. */
  readonly #factorPercent: number | undefined;
  #placement: HashPlacement | undefined;

  constructor(pool: BackendPool, balance: BalancePolicy, sticky: StickyOptions) {
    this.#pool = pool;
    this.#balancer = new BalancingRouter(pool, balance);
    this.#sticky = sticky;
    const factor = sticky.mode === 'hash' ? sticky.balanceFactor : undefined;
    this.#factorPercent = factor === undefined ? undefined : toPercent(factor);
  }

  route(request: RoutingRequest): RoutingDecision {
    switch (this.#sticky.mode) {
      case 'none':
        return { order: this.#balancer.pick(), route: 'balance', issueCookie: false, cookieMode: false };
      case 'cookie':
        return this.#routeByCookie(request, this.#sticky.cookieName, this.#sticky.codec);
      case 'hash':
        return this.#routeByHash(request, this.#sticky.key);
    }
  }

  #routeByCookie(request: RoutingRequest, name: string, codec: CookieCodec): RoutingDecision {
    const value = readCookie(typeof request.headers.cookie === 'string' ? request.headers.cookie : undefined, name);
    if (value === undefined)
      return { order: this.#balancer.pick(), route: 'balance', issueCookie: true, cookieMode: true };
    const decoded = codec.decode(value);
    const routable = this.#pool.routable();
    const pinned = 'backendId' in decoded ? routable.eligibleById.get(decoded.backendId) : undefined;
    // A tampered cookie, or one naming a backend that is draining, unhealthy or gone, is
    // replaced by a fresh choice: never an error to the client. So is, while a rebalance holds
    // the node, a handshake's cookie naming a backend already at its share: the session it
    // replaces was moved off that backend (plain requests keep their pin: they carry no session
    // a rebalance moved, and a long-polling transport's session lives on its backend).
    const full = pinned !== undefined && request.upgrade === true && this.#pool.rebalancing;
    if (!pinned || (full && aboveShare(pinned, routable.eligible)))
      return { order: this.#balancer.pick(), route: 'cookie-repinned', issueCookie: true, cookieMode: true };
    return {
      order: this.#balancer.peek(pinned),
      route: 'cookie',
      issueCookie: 'resign' in decoded && decoded.resign,
      cookieMode: true,
    };
  }

  #routeByHash(request: RoutingRequest, spec: HashKeySpec): RoutingDecision {
    const key = extractHashKey(spec, {
      remoteAddress: request.clientAddress,
      headers: request.headers,
      url: request.url,
    });
    if (key === undefined)
      return { order: this.#balancer.pick(), route: 'fallback', issueCookie: false, cookieMode: false };
    this.#placement = HashPlacement.of(this.#pool.routable(), this.#placement);
    // Failover follows the ring, so every node fails a key over to the same next backend.
    const order = this.#placement.place(key, this.#factorPercent);
    return { order: order ?? noCandidates, route: order?.route ?? 'hash', issueCookie: false, cookieMode: false };
  }
}
