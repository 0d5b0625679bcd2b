/**
 * The dashboard's page: a static skeleton that /assets/dashboard.js fills from the event
 * stream. It holds no data, so nothing in it is ever built from the registry's text. Kept in a
 * module (not a file beside it) because the build is `tsc -b`, which copies no other files.
 */
export const dashboardHtml = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mooring dashboard</title>
<link rel="stylesheet" href="/assets/dashboard.css">
<script type="module" src="/assets/dashboard.js"></script>
</head>
<body>
<header class="top">
  <h1>Mooring</h1>
  <p class="node"><span id="node-id">…</span> <span id="node-uptime" class="muted"></span></p>
  <p class="badges">
    <span class="badge-label">node</span> <span id="node-state" class="badge">…</span>
    <span class="badge-label">updates</span> <span id="stream-state" class="badge">connecting</span>
  </p>
</header>
<p id="degraded-notice" class="notice" role="status" hidden>
  <strong>Degraded:</strong> the shared state is unreachable. This node routes from its last known
  state; other nodes and their counts are the last known (<span id="cluster-read-at">never read</span>).
</p>
<main>
  <section class="panel wide traffic" aria-labelledby="traffic-title">
    <h2 id="traffic-title">Traffic on this node</h2>
    <div class="charts">
      <figure class="chart live">
        <figcaption>Live WebSockets <strong id="live-now">–</strong></figcaption>
        <div class="plot">
          <span class="top-label" id="live-top">1</span>
          <svg id="chart-live" viewBox="0 0 600 120" preserveAspectRatio="none" role="img"
            aria-label="Live WebSockets over the last minutes"></svg>
        </div>
        <div class="axis"><span class="span">10 min ago</span><span>now</span></div>
      </figure>
      <figure class="chart handshakes">
        <figcaption>Handshakes per second <strong id="handshakes-now">–</strong></figcaption>
        <div class="plot">
          <span class="top-label" id="handshakes-top">1</span>
          <svg id="chart-handshakes" viewBox="0 0 600 120" preserveAspectRatio="none" role="img"
            aria-label="WebSocket handshakes per second over the last minutes"></svg>
        </div>
        <div class="axis"><span class="span">10 min ago</span><span>now</span></div>
      </figure>
    </div>
  </section>
  <section class="panel" aria-labelledby="drains-title">
    <h2 id="drains-title">Drains</h2>
    <p id="drains-empty" class="muted">No drain in progress.</p>
    <ul id="drains" class="drains"></ul>
  </section>
  <section class="panel" aria-labelledby="nodes-title">
    <h2 id="nodes-title">Nodes</h2>
    <table id="nodes" class="cards">
      <thead><tr><th>Node</th><th>Heartbeat</th><th>State</th><th>Listen</th><th>Admin</th></tr></thead>
      <tbody id="nodes-rows"></tbody>
    </table>
  </section>
  <section class="panel wide" aria-labelledby="backends-title">
    <h2 id="backends-title">Backends</h2>
    <table id="backends" class="cards">
      <thead><tr>
        <th>Backend</th><th>URL</th><th>State</th><th>Health</th><th class="num">Weight</th>
        <th class="num">Live</th><th>Live per node</th>
      </tr></thead>
      <tbody id="backends-rows"></tbody>
    </table>
  </section>
  <section class="panel" aria-labelledby="workers-title">
    <h2 id="workers-title">Workers of this node</h2>
    <table id="workers" class="cards">
      <thead><tr><th>Worker</th><th class="num">PID</th><th>State</th><th class="num">Live</th></tr></thead>
      <tbody id="workers-rows"></tbody>
    </table>
  </section>
</main>
<footer class="muted">Last update <span id="updated">never</span></footer>
</body>
</html>
`;
