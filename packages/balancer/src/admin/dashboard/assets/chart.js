// @ts-check
// A small line chart in inline SVG: one series over a fixed time window, its scale from 0 to a
// round ceiling. The SVG stretches to its box (preserveAspectRatio="none" in the page), so
// strokes use vector-effect="non-scaling-stroke" and labels live outside it, in HTML.
import { svgEl } from './dom.js';

const width = 600;
const height = 120;
/** Room above the ceiling (a tenth), so a series at its maximum does not merge with the border. */
const headroom = 12;

/**
 * The smallest 1, 2 or 5 × 10ⁿ at or above `value` (at least 1): a scale that reads at a glance.
 * @param {number} value
 * @returns {number}
 */
export function niceCeiling(value) {
  if (!(value > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5]) if (step * power >= value) return step * power;
  return 10 * power;
}

/**
 * The span a chart shows: the history there is, in whole minutes, from one minute (a node just
 * started fills the width instead of a sliver at its right edge) up to `maxMs`.
 * @param {readonly { at: number }[]} points oldest first
 * @param {number} now
 * @param {number} maxMs
 * @returns {number}
 */
export function chartSpan(points, now, maxMs) {
  const minute = 60_000;
  const oldest = points[0]?.at ?? now;
  return Math.min(maxMs, Math.max(minute, Math.ceil((now - oldest) / minute) * minute));
}

/**
 * Draws the points of the last `windowMs` before `now` into `svg`; returns the scale's top.
 * @template {{ at: number }} P
 * @param {SVGSVGElement} svg
 * @param {readonly P[]} points oldest first
 * @param {(point: P) => number} valueOf
 * @param {number} now
 * @param {number} windowMs
 * @returns {number}
 */
export function drawChart(svg, points, valueOf, now, windowMs) {
  const start = now - windowMs;
  const visible = points.filter((point) => point.at >= start && point.at <= now);
  const top = niceCeiling(Math.max(0, ...visible.map(valueOf)));
  const x = (/** @type {number} */ at) => (((at - start) / windowMs) * width).toFixed(1);
  const y = (/** @type {number} */ value) => (height - (value / top) * (height - headroom)).toFixed(1);
  /** @type {SVGElement[]} */
  const children = [0.5, 1].map((share) =>
    svgEl('line', { class: 'grid', x1: 0, x2: width, y1: y(share * top), y2: y(share * top) }),
  );
  if (visible.length > 0) {
    const line = visible.map((point) => `${x(point.at)},${y(valueOf(point))}`).join(' ');
    const first = x(/** @type {P} */ (visible[0]).at);
    const last = x(/** @type {P} */ (visible[visible.length - 1]).at);
    children.push(svgEl('path', { class: 'area', d: `M${first},${height} L${line} L${last},${height} Z` }));
    children.push(svgEl('polyline', { class: 'line', points: line, 'vector-effect': 'non-scaling-stroke' }));
  }
  svg.replaceChildren(...children);
  return top;
}
