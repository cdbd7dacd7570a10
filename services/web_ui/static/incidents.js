// The incident pages, live: relative times, and a refresh of the live parts of the page (elements with
// data-live) whenever the server's event stream says an incident changed. The pages work without it.
(function () {
  "use strict";
  var UNITS = [["day", 86400], ["hour", 3600], ["min", 60]];
  var exact = new Intl.DateTimeFormat(undefined, {
    year: "numeric", month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
  });

  function ago(date) {
    var seconds = (Date.now() - date.getTime()) / 1000;
    var future = seconds < 0;
    seconds = Math.abs(seconds);
    if (seconds < 45) return future ? "in a moment" : "just now";
    for (var i = 0; i < UNITS.length; i++) {
      var n = Math.round(seconds / UNITS[i][1]);
      if (n >= 1) {
        var text = n + " " + UNITS[i][0] + (n > 1 && UNITS[i][0] !== "min" ? "s" : "");
        return future ? "in " + text : text + " ago";
      }
    }
    return "just now";
  }

  function times(root) {
    root.querySelectorAll("time[data-ago]").forEach(function (node) {
      var date = new Date(node.getAttribute("datetime"));
      if (isNaN(date)) return;
      node.textContent = ago(date);
      node.title = exact.format(date);  // the exact time in the viewer's time zone
    });
  }

  // --- live refresh ---------------------------------------------------------------------------------
  var regions = document.querySelectorAll("[data-live]");
  var incidentId = (document.querySelector("[data-incident-id]") || { dataset: {} }).dataset.incidentId;
  var banner = document.querySelector(".live-down");
  var pending = null;
  var inflight = false;
  var lastFetch = 0;
  // At most one refresh a second: at 100 changes/s a console still shows each within ~1 s, and 200 of
  // them ask for their page 200 times a second rather than ~800 (one fetch every ~250 ms each).
  var GAP_MS = 1000;

  function down(isDown) {
    if (banner) banner.hidden = !isDown;
    document.documentElement.dataset.live = isDown ? "down" : "up";  // for tests and styles
  }

  function checked() {
    var ids = {};
    document.querySelectorAll("input[name=id]:checked").forEach(function (box) { ids[box.value] = true; });
    return ids;
  }

  function refresh() {
    pending = null;
    if (inflight) { pending = setTimeout(refresh, 250); return; }
    inflight = true;
    lastFetch = Date.now();
    var keep = checked();
    fetch(location.href, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (reply) {
        if (reply.redirected || !reply.ok) throw new Error("reload");
        return reply.text();
      })
      .then(function (html) {
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-live]").forEach(function (old) {
          var next = fresh.querySelector('[data-live="' + old.dataset.live + '"]');
          if (next) old.replaceWith(document.importNode(next, true));
        });
        document.querySelectorAll("input[name=id]").forEach(function (box) { box.checked = !!keep[box.value]; });
        times(document);
        var title = fresh.querySelector("title");
        if (title) document.title = title.textContent;
      })
      .catch(function () { /* the next event or a reload will do */ })
      .then(function () { inflight = false; });
  }

  function changed(event) {
    if (incidentId && event.incident_id !== incidentId) return;
    // A burst of events, one fetch: 150 ms after the first, and a second after the previous fetch.
    if (!pending) pending = setTimeout(refresh, Math.max(150, lastFetch + GAP_MS - Date.now()));
  }

  function listen() {
    if (!regions.length || !window.EventSource) return;
    var source = new EventSource("/ui/events");
    source.onmessage = function (message) {
      var event;
      try { event = JSON.parse(message.data); } catch (e) { return; }
      if (event.type === "live.down") down(true);
      else if (event.type === "live.up") down(false);
      else if (event.type === "live.reload") { down(false); changed({ incident_id: incidentId }); }
      else changed(event);
    };
    source.onerror = function () {
      down(true);  // EventSource reconnects by itself, sending Last-Event-ID
      if (source.readyState === EventSource.CLOSED) setTimeout(listen, 2000);
    };
  }

  times(document);
  setInterval(function () { times(document); }, 30000);
  listen();
})();
