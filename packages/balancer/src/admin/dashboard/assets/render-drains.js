// @ts-check
// Drains in progress: how much is left of what there was, and the time to the deadline.
import { el } from './dom.js';
import { formatDuration, formatNumber } from './format.js';

/** @typedef {import('../dashboard-status.js').DashboardStatus} DashboardStatus */
/** @typedef {import('../dashboard-status.js').DashboardBackend} DashboardBackend */
/** @typedef {import('../dashboard-status.js').DashboardDrain} DashboardDrain */

/**
 * Replaces the drain list; `serverNow` is the server's clock now, so the countdown is right
 * whatever the browser's clock says.
 * @param {HTMLElement} list
 * @param {HTMLElement} empty shown when nothing drains
 * @param {DashboardStatus} status
 * @param {number} serverNow
 */
export function renderDrains(list, empty, status, serverNow) {
  const draining = status.backends.filter((backend) => backend.drain !== null);
  empty.hidden = draining.length > 0;
  list.replaceChildren(
    ...draining.map((backend) => drainItem(backend, /** @type {DashboardDrain} */ (backend.drain), serverNow)),
  );
}

/**
 * @param {DashboardBackend} backend
 * @param {DashboardDrain} drain
 * @param {number} serverNow
 * @returns {HTMLElement}
 */
function drainItem(backend, drain, serverNow) {
  const moved = Math.max(0, drain.atStart - drain.remaining);
  const bar = el('progress', {
    max: String(Math.max(1, drain.atStart)),
    value: String(drain.atStart === 0 ? 1 : moved),
  });
  bar.setAttribute('aria-label', `${backend.id}: ${moved} of ${drain.atStart} connections moved`);
  const item = el(
    'li',
    { class: 'drain' },
    el(
      'div',
      { class: 'drain-head' },
      el('strong', { class: 'drain-id' }, backend.id),
      el('span', { class: 'remaining' }, `${formatNumber(drain.remaining)} of ${formatNumber(drain.atStart)} left`),
    ),
    bar,
    el(
      'div',
      { class: 'drain-meta' },
      el('span', { class: 'deadline' }, deadlineText(drain, serverNow)),
      el('span', {}, `then ${formatNumber(drain.closeRate)} closes/s, code ${drain.closeCode}`),
    ),
  );
  item.dataset.backend = backend.id;
  return item;
}

/**
 * @param {DashboardDrain} drain
 * @param {number} serverNow
 * @returns {string}
 */
function deadlineText(drain, serverNow) {
  const left = drain.deadlineAt - serverNow;
  if (left > 0) return `deadline in ${formatDuration(left)}`;
  return drain.remaining > 0 ? `deadline passed ${formatDuration(-left)} ago: closing` : 'deadline passed';
}
