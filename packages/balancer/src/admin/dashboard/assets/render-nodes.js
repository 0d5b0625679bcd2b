// @ts-check
// The nodes of the cluster and the workers of this node.
import { cell, el } from './dom.js';
import { formatAge, formatNumber } from './format.js';

/** @typedef {import('../dashboard-status.js').DashboardStatus} DashboardStatus */
/** @typedef {import('../dashboard-status.js').DashboardNode} DashboardNode */

/**
 * Replaces the rows of `tbody` with the nodes of `status`, this node first.
 * @param {HTMLElement} tbody
 * @param {DashboardStatus} status
 */
export function renderNodes(tbody, status) {
  tbody.replaceChildren(...status.nodes.map((node) => nodeRow(node, status)));
}

/**
 * @param {DashboardNode} node
 * @param {DashboardStatus} status
 * @returns {HTMLElement}
 */
function nodeRow(node, status) {
  const state = node.self && status.node.shuttingDown ? 'shutting down' : node.degraded ? 'degraded' : 'ok';
  const name = el('span', {}, node.id, ...(node.self ? [' ', el('span', { class: 'tag' }, 'this node')] : []));
  const row = el(
    'tr',
    {},
    cell('Node', 'id', name),
    cell('Heartbeat', 'heartbeat', formatAge(node.heartbeatAgeMs)),
    cell('State', 'state', el('span', { class: `badge ${state === 'ok' ? 'up' : 'down'}` }, state)),
    cell('Listen', 'listen', node.listen),
    cell('Admin', 'admin', node.admin),
  );
  row.dataset.node = node.id;
  return row;
}

/**
 * Replaces the rows of `tbody` with this node's workers.
 * @param {HTMLElement} tbody
 * @param {DashboardStatus} status
 */
export function renderWorkers(tbody, status) {
  tbody.replaceChildren(
    ...status.node.workers.map((worker) =>
      el(
        'tr',
        {},
        cell('Worker', 'id', `#${worker.id}`),
        cell('PID', 'pid num', worker.pid === null ? '–' : String(worker.pid)),
        cell(
          'State',
          'state',
          el('span', { class: `badge ${worker.state === 'serving' ? 'up' : 'draining'}` }, worker.state),
        ),
        cell('Live', 'live num', formatNumber(worker.live)),
      ),
    ),
  );
}
