// @ts-check
// How figures read on the dashboard: short, and the same everywhere.

/**
 * A duration such as `45s`, `4m 05s`, `2h 10m` or `3d 4h`.
 * @param {number} ms
 * @returns {string}
 */
export function formatDuration(ms) {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  const [d, h, m, s] = [
    Math.floor(seconds / 86400),
    Math.floor(seconds / 3600) % 24,
    Math.floor(seconds / 60) % 60,
    seconds % 60,
  ];
  const pad = (/** @type {number} */ n) => String(n).padStart(2, '0');
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${pad(m)}m`;
  if (m > 0) return `${m}m ${pad(s)}s`;
  return `${s}s`;
}

/**
 * How long ago a heartbeat was: tenths of a second while fresh.
 * @param {number | null} ms
 * @returns {string}
 */
export function formatAge(ms) {
  if (ms === null) return 'not listed';
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s ago`;
  return `${formatDuration(ms)} ago`;
}

/**
 * A wall-clock time of day in the browser's zone, such as `14:03:27`.
 * @param {number} at milliseconds since the epoch
 * @returns {string}
 */
export function formatClock(at) {
  return new Date(at).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
}

/**
 * A count with thousands separators; rates keep one decimal below 10.
 * @param {number} value
 * @returns {string}
 */
export function formatNumber(value) {
  if (!Number.isInteger(value) && value < 10) return value.toFixed(1);
  return Math.round(value).toLocaleString('en-US');
}
