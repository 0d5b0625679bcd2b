/**
 * How a test backend behaves; switchable at runtime to simulate failures.
 * - `ok`: answers HTTP and accepts WebSockets.
 * - `refuse`: not listening (connections get ECONNREFUSED); the port is kept.
 * - `reset`: accepts the connection, then RSTs it when a request or upgrade arrives.
 * - `hang`: reads the request and never answers.
 * - `drop`: reads the request or upgrade, then closes the connection (FIN) without answering, as
 *   a process that dies while handling it.
 * - `non101`: answers upgrades with a chunked `403 Forbidden`; HTTP is normal.
 * - `unhealthy`: `/health` answers 503; everything else is normal.
 * - `hold`: HTTP requests (not `/health`) wait, unanswered, until the mode changes; then they
 *   are answered normally. A request in flight for as long as a test needs, with no timer.
 */
export type BackendMode = 'ok' | 'refuse' | 'reset' | 'hang' | 'drop' | 'non101' | 'unhealthy' | 'hold';

/** All modes, for table-driven tests. */
export const BACKEND_MODES: readonly BackendMode[] = [
  'ok',
  'refuse',
  'reset',
  'hang',
  'drop',
  'non101',
  'unhealthy',
  'hold',
];
