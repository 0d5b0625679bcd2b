/**
 * Every fixed timing of the runtime in one place, each with why it is what it is. What an
 * operator may change (timeouts, intervals, deadlines) is configuration instead (config/).
 */

// Data plane (a worker)

/** Idle keep-alive sockets to backends are dropped before Node's default 5 s server timeout closes them under us. */
export const backendKeepAliveIdleMs = 4_000;

/** Client keep-alive: longer than the 60 s idle timeout of load balancers in front of us, so they close first. */
export const clientKeepAliveMs = 65_000;

/** How long peers get to answer a gentle close (their close frame, their FIN) before both sockets are destroyed. */
export const closeGraceMs = 2_000;

/** Node's own limit on a whole request (head and body); the request-head timeout must stay within it. */
export const wholeRequestTimeoutMs = 300_000;

/** How long a refused WebSocket client gets to read its refusal before its socket is destroyed. */
export const refusalFlushMs = 5_000;

/** Sweep of per-client handshake buckets that have refilled, so a scan of many addresses cannot grow memory. */
export const clientLimitSweepMs = 10_000;

/** First pass-over of a backend that refused a connection; doubles per failure up to the cap. */
export const firstPenaltyMs = 1_000;
export const maxPenaltyMs = 10_000;

/**
 * How long a worker gathers session opens and closes before one IPC report: a handshake storm is
 * not two messages per session.
 */
export const sessionReportDelayMs = 20;

/**
 * Worker replacement (SIGHUP), per tunnel: how long its peers get to take what is buffered for
 * them before it can move; then how long the successor has to take it, and the slack the old
 * worker waits beyond that before it keeps the tunnel (so that a late "taken" never meets a
 * tunnel that went on here: the successor refuses anything past its deadline).
 */
export const handoverRestMs = 1_000;
export const handoverAnswerMs = 5_000;
export const handoverAnswerSlackMs = 5_000;

/** Tunnels brought to rest at once during a handover: each is still for a few IPC round trips. */
export const handoverLanes = 8;

// Supervisor (the primary)

/** Longest wait for a new worker to listen during a reload before the reload gives up. */
export const reloadListenTimeoutMs = 15_000;

/** Workers still alive this long after the shutdown deadline are killed. */
export const shutdownKillSlackMs = 5_000;

/** A worker that lived at least this long is not crash-looping: it is replaced at once. */
export const stableLifetimeMs = 5_000;

/**
 * Respawn delay of workers that die right after start, doubling up to the cap, so a bad deploy
 * does not fork in a hot loop.
 */
export const firstRespawnDelayMs = 100;
export const maxRespawnDelayMs = 5_000;

// Control plane (the primary's shared-state work)

/** Batching of connection-table writes: one pipeline per 100 ms, not one round trip per session. */
export const flushIntervalMs = 100;

/**
 * Reading of cluster-wide live counts: often enough for least-connections and drain progress to
 * follow the fleet, rarely enough that a large fleet's tables are not summed all the time.
 */
export const countsIntervalMs = 500;

/** A dead backend refuses every worker's every attempt: one report per backend per 500 ms is enough. */
export const passiveReportIntervalMs = 500;

/** Polling of the registry, the safety net under pub/sub for raw HSET/HDEL (DESIGN: within 2 s). */
export const registryPollMs = 1_000;

/** Ticks of paced closing; each tick's closes are spread with jitter inside it. */
export const closeTickMs = 100;

// Rebalancing (`mooring rebalance`)

/**
 * How long a node keeps refusing cookie pins to over-share backends after the last rebalance
 * event: five times the interval at which the command repeats it, so a lost message or two changes
 * nothing, and a command killed with SIGKILL stops affecting routing within seconds.
 */
export const rebalanceHoldMs = 5_000;

/** How often a running rebalance repeats its event and writes its progress. */
export const rebalanceBeatMs = 1_000;

/** How long a running rebalance's progress lives unrenewed: a dead command's stops showing as running. */
export const rebalanceRecordTtlMs = 10_000;

/** How long a finished rebalance's outcome stays visible in `mooring status`. */
export const rebalanceOutcomeTtlMs = 3_600_000;

/**
 * After a round's last close, how long to wait at most for the closed sessions to leave the shared
 * table and for their clients' reconnections to be counted before planning again: planning on counts
 * that miss the reconnections would move more than needed. Clients that never come back end it.
 */
export const rebalanceSettleMs = 5_000;

/**
 * How often nodes with `--auto-rebalance` check the shares (the lease holder) or try to take the
 * lease (the others): a scale-out is acted on within seconds, and reading the whole connection
 * table costs the store little at this pace.
 */
export const autoRebalanceCheckMs = 10_000;
