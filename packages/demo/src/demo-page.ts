/** Escapes text for inclusion in HTML. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The demo's single page: self-contained (inline CSS and JS, no external
 * assets) so it works offline and through the balancer unchanged. It opens
 * a WebSocket to `/ws` on the host it was loaded from, so the socket goes
 * through the same balancer as the page. `#status` and `#backend` are read
 * by browser tests.
 */
export function renderDemoPage(pageBackend: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Mooring demo</title>
<style>
  body { font: 15px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d2733; }
  h1 { font-size: 1.4rem; }
  .card { border: 1px solid #cfd8e3; border-radius: 8px; padding: 0.75rem 1rem; margin-bottom: 1rem; }
  #status.connected { color: #1a7f37; } #status.closed { color: #b42318; }
  form { display: flex; gap: 0.5rem; } input { flex: 1; padding: 0.4rem; } button { padding: 0.4rem 0.9rem; }
  #log { list-style: none; padding: 0; font-family: ui-monospace, monospace; font-size: 13px; }
  #log li { border-bottom: 1px solid #eef2f6; padding: 0.2rem 0; }
</style>
</head>
<body>
<h1>Mooring demo</h1>
<div class="card">
  <div id="status">WebSocket: connecting</div>
  <div id="backend">Backend: (unknown)</div>
  <div id="page-backend">Page served by: ${escapeHtml(pageBackend)}</div>
</div>
<form id="form" class="card">
  <input id="message" autocomplete="off" placeholder="Type a message" aria-label="Message">
  <button id="send" type="submit">Send</button>
  <button id="reconnect" type="button">Reconnect</button>
</form>
<ul id="log"></ul>
<script>
(function () {
  var statusEl = document.getElementById('status');
  var backendEl = document.getElementById('backend');
  var logEl = document.getElementById('log');
  var input = document.getElementById('message');
  var ws;
  function log(text) {
    var li = document.createElement('li');
    li.textContent = new Date().toLocaleTimeString() + '  ' + text;
    logEl.insertBefore(li, logEl.firstChild);
  }
  function setStatus(text, cls) { statusEl.textContent = 'WebSocket: ' + text; statusEl.className = cls; }
  function connect() {
    if (ws && ws.readyState < 2) ws.close(1000, 'reconnect');
    var scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    ws = new WebSocket(scheme + '//' + location.host + '/ws');
    setStatus('connecting', '');
    ws.onopen = function () { setStatus('connected', 'connected'); };
    ws.onclose = function (e) { setStatus('closed (code ' + e.code + (e.reason ? ', ' + e.reason : '') + ')', 'closed'); log('closed with code ' + e.code); };
    ws.onmessage = function (e) {
      var msg;
      try { msg = JSON.parse(e.data); } catch (err) { log('raw: ' + e.data); return; }
      if (msg.type === 'hello') { backendEl.textContent = 'Backend: ' + msg.backend; log('connected to ' + msg.backend); }
      else if (msg.type === 'echo') { log(msg.backend + ' echoed: ' + msg.data); }
    };
  }
  document.getElementById('form').onsubmit = function (e) {
    e.preventDefault();
    if (!ws || ws.readyState !== 1 || !input.value) return;
    ws.send(input.value);
    input.value = '';
  };
  document.getElementById('reconnect').onclick = connect;
  connect();
})();
</script>
</body>
</html>
`;
}
