// @ts-check
// The backends table: one row per backend, with its live connections per node.
import { cell, el } from './dom.js';
import { formatNumber } from './format.js';

/** @typedef {import('../dashboard-status.js').DashboardStatus} DashboardStatus */
/** @typedef {import('../dashboard-status.js').DashboardBackend} DashboardBackend */

/**
 * Replaces the rows of `tbody` with the backends of `status`.
 * @param {HTMLElement} tbody
 * @param {DashboardStatus} status
 */
export function renderBackends(tbody, status) {
  if (status.backends.length === 0) {
    tbody.replaceChildren(el('tr', {}, el('td', { colspan: '7', class: 'empty' }, 'No backend is registered.')));
    return;
  }
  tbody.replaceChildren(...status.backends.map(backendRow));
}

/**
 * @param {DashboardBackend} backend
 * @returns {HTMLElement}
 */
function backendRow(backend) {
  const row = el(
    'tr',
    { class: backend.state === 'draining' ? 'draining' : '' },
    cell('Backend', 'id', backend.id),
    cell('URL', 'url', backend.url),
    cell('State', 'state', el('span', { class: `badge ${backend.state}` }, backend.state)),
    cell(
      'Health',
      'health',
      el('span', { class: `badge ${backend.healthy ? 'up' : 'down'}` }, backend.healthy ? 'up' : 'down'),
    ),
    cell('Weight', 'weight num', backend.weight),
    cell('Live', 'live num', formatNumber(backend.live)),
    cell('Per node', 'per-node', el('div', { class: 'node-lives' }, ...perNode(backend))),
  );
  // dataset escapes nothing and needs nothing escaped: it is an attribute value, never markup.
  row.dataset.backend = backend.id;
  return row;
}

/**
 * @param {DashboardBackend} backend
 * @returns {HTMLElement[]}
 */
function perNode(backend) {
  return backend.perNode.map(({ node, live }) =>
    el(
      'span',
      { class: 'node-live', 'data-node': node },
      el('span', { class: 'node-name' }, node),
      ` ${formatNumber(live)}`,
    ),
  );
}
