/**
 * The dashboard's stylesheet: system fonts only (no download), a two-column grid on a laptop,
 * and below 720 px one column where each table row reads as a card of labelled lines. Kept in
 * a module for the same reason as the page (dashboard-page.ts).
 */
export const dashboardCss = `
:root {
  --bg: #f4f5f7; --panel: #fff; --ink: #1d2330; --muted: #5f6b7a; --line: #dde1e7;
  --up: #1a7f37; --up-bg: #dcf5e3; --down: #b42318; --down-bg: #fde4e1;
  --drain: #8a5a00; --drain-bg: #fff1cc; --accent: #2563eb; --accent-2: #7c3aed;
  color-scheme: light;
}
* { box-sizing: border-box; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.muted { color: var(--muted); }
.top {
  display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 16px;
  padding: 12px 20px; background: var(--ink); color: #fff;
}
.top h1 { margin: 0; font-size: 18px; letter-spacing: 0.02em; }
.top p { margin: 0; }
.top .muted { color: #b8c0cc; }
.top .node { font-weight: 600; overflow-wrap: anywhere; }
.badges { margin-left: auto; display: flex; align-items: center; gap: 6px; flex-wrap: wrap; }
.badge-label { color: #b8c0cc; font-size: 12px; }
.badge {
  display: inline-block; padding: 1px 8px; border-radius: 999px; font-size: 12px; font-weight: 600;
  background: #e6e9ee; color: var(--ink); white-space: nowrap;
}
.badge.up { background: var(--up-bg); color: var(--up); }
.badge.down { background: var(--down-bg); color: var(--down); }
.badge.draining { background: var(--drain-bg); color: var(--drain); }
.badge.active { background: var(--up-bg); color: var(--up); }
.notice {
  margin: 12px 20px 0; padding: 10px 14px; border-radius: 8px;
  background: var(--down-bg); color: var(--down); border: 1px solid #f5b5ad;
}
.notice[hidden], [hidden] { display: none; }
main {
  display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; padding: 16px 20px;
}
.panel {
  background: var(--panel); border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px;
  min-width: 0;
}
.panel h2 { margin: 0 0 10px; font-size: 15px; }
.panel.wide { grid-column: 1 / -1; }
.charts { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 16px; }
.chart { margin: 0; min-width: 0; }
.chart figcaption { display: flex; justify-content: space-between; color: var(--muted); }
.chart figcaption strong { color: var(--ink); font-size: 16px; }
.plot { position: relative; border-left: 1px solid var(--line); border-bottom: 1px solid var(--line); }
.plot svg { display: block; width: 100%; height: 120px; }
.top-label { position: absolute; top: 0; left: 4px; font-size: 11px; color: var(--muted); }
.axis { display: flex; justify-content: space-between; font-size: 11px; color: var(--muted); }
.grid { stroke: var(--line); stroke-dasharray: 4 4; vector-effect: non-scaling-stroke; }
.line { fill: none; stroke-width: 2; }
.live .line { stroke: var(--accent); }
.live .area { fill: rgba(37, 99, 235, 0.12); }
.handshakes .line { stroke: var(--accent-2); }
.handshakes .area { fill: rgba(124, 58, 237, 0.12); }
table { width: 100%; border-collapse: collapse; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
.num { text-align: right; font-variant-numeric: tabular-nums; }
td.url, td.listen, td.admin { overflow-wrap: anywhere; color: var(--muted); }
td.id { font-weight: 600; overflow-wrap: anywhere; }
td.empty { color: var(--muted); }
tr.draining td { background: #fffaeb; }
.node-lives { display: flex; flex-wrap: wrap; gap: 4px; }
.node-live { padding: 0 6px; border: 1px solid var(--line); border-radius: 4px; font-variant-numeric: tabular-nums; }
.node-name { color: var(--muted); }
.tag { font-size: 11px; font-weight: 400; color: var(--muted); }
.drains { list-style: none; margin: 0; padding: 0; display: grid; gap: 12px; }
.drain-head { display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap; }
.drain-id { overflow-wrap: anywhere; }
.drain progress { width: 100%; height: 12px; margin: 4px 0; accent-color: var(--drain); }
.drain progress::-webkit-progress-bar { background: #eceff3; border-radius: 6px; }
.drain progress::-webkit-progress-value { background: #e0a100; border-radius: 6px; }
.drain-meta { display: flex; justify-content: space-between; gap: 8px; flex-wrap: wrap; color: var(--muted); }
.deadline { font-weight: 600; color: var(--drain); font-variant-numeric: tabular-nums; }
footer { padding: 0 20px 16px; font-size: 12px; }
@media (max-width: 720px) {
  .top { padding: 10px 12px; }
  .badges { margin-left: 0; }
  main { grid-template-columns: minmax(0, 1fr); padding: 12px; gap: 12px; }
  .charts { grid-template-columns: minmax(0, 1fr); }
  .panel { padding: 10px 12px; }
  table.cards thead { display: none; }
  table.cards, table.cards tbody, table.cards tr, table.cards td { display: block; width: 100%; }
  table.cards tr { padding: 6px 0; border-bottom: 1px solid var(--line); }
  table.cards td {
    display: grid; grid-template-columns: 7.5em minmax(0, 1fr); gap: 8px; border: 0; padding: 2px 0;
    text-align: left;
  }
  table.cards td > * { justify-self: start; }
  table.cards td::before { content: attr(data-label); color: var(--muted); font-size: 12px; font-weight: 600; }
  table.cards td.empty { display: block; }
  table.cards td.empty::before { content: none; }
}
`;
