// @ts-check
// The dashboard's entry: follows the admin listener's event stream (/api/v1/events) and draws
// the page from it. The server sends the whole status every second, so the page never merges
// deltas: each status replaces the last one.
import { chartSpan, drawChart } from './chart.js';
import { byId, setText } from './dom.js';
import { formatClock, formatDuration, formatNumber } from './format.js';
import { renderBackends } from './render-backends.js';
import { renderDrains } from './render-drains.js';
import { renderNodes, renderWorkers } from './render-nodes.js';

/** @typedef {import('../dashboard-status.js').DashboardStatus} DashboardStatus */
/** @typedef {import('../../admin-context.js').TrafficPoint} TrafficPoint */
/** @typedef {'connecting' | 'live' | 'reconnecting' | 'disconnected'} StreamState */

/** The chart's widest window: the ten minutes of history the server keeps. */
const windowMs = 10 * 60 * 1000;
/** No status for this long (the server sends one a second) and the page says it is behind. */
const lateAfterMs = 5_000;
/** After a refusal (503, too many streams) EventSource gives up; the page tries again itself. */
const reopenAfterMs = 5_000;

const state = {
  /** @type {DashboardStatus | undefined} */
  status: undefined,
  /** Server clock minus browser clock, from the last status. */
  offsetMs: 0,
  /** Browser clock of the last status. */
  receivedAt: 0,
  /** @type {TrafficPoint[]} oldest first, at most one per `at` */
  points: [],
  /** @type {StreamState} */
  stream: 'connecting',
};

const serverNow = () => Date.now() + state.offsetMs;

function connect() {
  const source = new EventSource('/api/v1/events');
  source.addEventListener('open', () => setStream('live'));
  source.addEventListener('error', () => {
    if (source.readyState !== EventSource.CLOSED) return setStream('reconnecting');
    setStream('disconnected');
    setTimeout(connect, reopenAfterMs);
  });
  source.addEventListener('history', (event) => {
    state.points = /** @type {{ points: TrafficPoint[] }} */ (JSON.parse(event.data)).points.slice();
    drawTraffic();
  });
  source.addEventListener('traffic', (event) => {
    addPoint(/** @type {TrafficPoint} */ (JSON.parse(event.data)));
    drawTraffic();
  });
  source.addEventListener('status', (event) => {
    const status = /** @type {DashboardStatus} */ (JSON.parse(event.data));
    state.status = status;
    state.receivedAt = Date.now();
    state.offsetMs = status.at - state.receivedAt;
    render(status);
  });
}

/** @param {TrafficPoint} point */
function addPoint(point) {
  const last = state.points[state.points.length - 1];
  if (last !== undefined && point.at <= last.at) return;
  state.points.push(point);
  const oldest = serverNow() - windowMs;
  while (state.points.length > 0 && /** @type {TrafficPoint} */ (state.points[0]).at < oldest) state.points.shift();
}

/** @param {StreamState} stream */
function setStream(stream) {
  state.stream = stream;
  renderFreshness();
}

/** @param {DashboardStatus} status */
function render(status) {
  renderHeader(status);
  renderBackends(byId('backends-rows'), status);
  renderNodes(byId('nodes-rows'), status);
  renderWorkers(byId('workers-rows'), status);
  renderDrains(byId('drains'), byId('drains-empty'), status, serverNow());
  renderFreshness();
}

/** @param {DashboardStatus} status */
function renderHeader(status) {
  const { node } = status;
  setText(byId('node-id'), node.id);
  setText(byId('node-uptime'), `up ${formatDuration(status.at - node.startedAt)}`);
  const condition = node.shuttingDown ? 'shutting down' : node.degraded ? 'degraded' : status.stale ? 'stale' : 'ok';
  const badge = byId('node-state');
  setText(badge, condition);
  badge.className = `badge ${condition === 'ok' ? 'up' : 'down'}`;
  const notice = byId('degraded-notice');
  notice.hidden = !node.degraded;
  const readAt = status.clusterReadAt;
  setText(byId('cluster-read-at'), readAt === null ? 'never read' : `read at ${formatClock(readAt)}`);
}

/** The stream's state and how old the last status is. */
function renderFreshness() {
  const late = state.receivedAt > 0 && Date.now() - state.receivedAt > lateAfterMs;
  const text = state.stream === 'live' && late ? 'no updates' : state.stream;
  const badge = byId('stream-state');
  setText(badge, text);
  badge.className = `badge ${text === 'live' ? 'up' : 'down'}`;
  setText(byId('updated'), state.receivedAt === 0 ? 'never' : formatClock(state.receivedAt));
}

function drawTraffic() {
  const now = serverNow();
  const spanMs = chartSpan(state.points, now, windowMs);
  const latest = state.points[state.points.length - 1];
  const live = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (byId('chart-live')));
  const handshakes = /** @type {SVGSVGElement} */ (/** @type {unknown} */ (byId('chart-handshakes')));
  const liveTop = drawChart(live, state.points, (point) => point.live, now, spanMs);
  const handshakeTop = drawChart(handshakes, state.points, (point) => point.handshakesPerSecond, now, spanMs);
  setText(byId('live-now'), latest === undefined ? '–' : formatNumber(latest.live));
  setText(byId('handshakes-now'), latest === undefined ? '–' : formatNumber(latest.handshakesPerSecond));
  setText(byId('live-top'), formatNumber(liveTop));
  setText(byId('handshakes-top'), formatNumber(handshakeTop));
  for (const label of document.querySelectorAll('.axis .span')) setText(label, `${spanMs / 60_000} min ago`);
}

// Countdowns and "no updates" move on between events (and keep moving if the events stop).
setInterval(() => {
  if (state.status !== undefined) renderDrains(byId('drains'), byId('drains-empty'), state.status, serverNow());
  renderFreshness();
}, 1_000);

connect();
