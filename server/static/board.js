// ED board live updates: on each "changed" event, re-read the rows (access is decided again server-side).
(function () {
  "use strict";
  var status = document.getElementById("live-status");
  var body = document.getElementById("board-rows");
  if (!status || !body || !window.EventSource) { return; }
  var pending = false;
  function refresh() {
    if (pending) { return; }
    pending = true;
    fetch(status.dataset.rows, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.ok ? r.text() : Promise.reject(r.status); })
      .then(function (html) { body.innerHTML = html; document.body.dataset.refreshed = String(Date.now()); })
      .catch(function () { /* the next event or reconnect retries */ })
      .finally(function () { pending = false; });
  }
  var source = new EventSource(status.dataset.events);
  source.addEventListener("open", function () { document.body.dataset.live = "open"; });
  source.addEventListener("changed", refresh);
})();
