// LiveBoard's own script: small helpers on top of server-rendered HTML. Every action works without it.
(function () {
  "use strict";

  // "Characters left" under fields with a limit, so nobody writes more than will be accepted.
  function updateCounter(field) {
    var counter = document.getElementById(field.getAttribute("data-counter"));
    if (!counter) return;
    var left = field.maxLength - field.value.length;
    var template = counter.getAttribute("data-template") || "{left}";
    counter.textContent = template.replace("{left}", String(left));
  }

  function initCounters(root) {
    root.querySelectorAll("[data-counter]").forEach(updateCounter);
  }

  document.addEventListener("input", function (event) {
    var target = event.target;
    if (target && target.hasAttribute && target.hasAttribute("data-counter")) updateCounter(target);
  });

  // Shared live fragments carry nothing personal; this person's marks are applied here, from #my-marks.
  function words(element, name) {
    var value = element ? element.getAttribute(name) || "" : "";
    return value.split(" ").filter(Boolean);
  }

  function applyMarks() {
    applySeriesMarks();
    var marks = document.getElementById("my-marks");
    if (!marks) return;
    var sessions = words(marks, "data-sessions");
    var interest = words(marks, "data-interest");
    document.querySelectorAll(".session[data-session]").forEach(function (li) {
      li.classList.toggle("mine", sessions.indexOf(li.getAttribute("data-session")) >= 0);
    });
    document.querySelectorAll(".pitch[data-pitch]").forEach(function (li) {
      var on = interest.indexOf(li.getAttribute("data-pitch")) >= 0;
      var button = li.querySelector("button.interest");
      if (!button) return;
      button.classList.toggle("on", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  // A dialogue series' page: which friction points this person supports, from #series-marks.
  function applySeriesMarks() {
    var marks = document.getElementById("series-marks");
    if (!marks) return;
    var support = words(marks, "data-support");
    document.querySelectorAll(".series-item[data-item]").forEach(function (li) {
      var button = li.querySelector(".support-button");
      if (!button) return;
      var on = support.indexOf(li.getAttribute("data-item")) >= 0;
      button.classList.toggle("on", on);
      button.setAttribute("aria-pressed", on ? "true" : "false");
    });
  }

  // Reconnecting: tell the server the version this page shows, so it sends only what was missed.
  document.addEventListener("htmx:ws:before:connection", function (event) {
    var version = document.getElementById("lb-v");
    var connection = event.detail && event.detail.connection;
    if (!version || !connection || !connection.url) return;
    connection.url = connection.url.replace(/([?&]v=)\d*/, "$1" + version.getAttribute("data-v"));
  });

  function setLive(ok) {
    var status = document.getElementById("live-status");
    if (status) status.hidden = ok;
    document.body.classList.toggle("offline", !ok);
    document.body.setAttribute("data-live", ok ? "on" : "off");
  }
  document.addEventListener("htmx:ws:after:connection", function () { setLive(true); });
  document.addEventListener("htmx:ws:close", function () { setLive(false); });

  // A server that restarts says so (close code 1012, "service restart": a deploy, an instance of several taken
  // down in turn). It is back within seconds, or another instance takes the socket at once: reconnect within half
  // a second (a quarter on average), then about every half second until it answers, instead of hx-ws's backoff
  // for a network that is away (500 ms, doubling up to 10 s), which would leave a wall screen stale for seconds
  // after the server is back. Each wait is spread from nothing to twice its length, so a thousand pages do not
  // knock in the same millisecond. For a minute after the 1012; then the ordinary backoff takes over again.
  var RESTART = { first: 250, again: 500, window: 60000 };
  function ordinaryReconnect(connection) {
    if (connection.ordinary) {
      connection.config.reconnectDelay = connection.ordinary.delay;
      connection.config.reconnectJitter = connection.ordinary.jitter;
    }
    connection.restartedAt = 0;
  }
  document.addEventListener("htmx:ws:close", function (event) {
    var detail = event.detail || {}, connection = detail.connection;
    if (!connection || !connection.config || detail.reason !== "closed") return;
    if (detail.code === 1012) connection.restartedAt = Date.now();
    if (!connection.restartedAt) return;
    if (Date.now() - connection.restartedAt > RESTART.window) { ordinaryReconnect(connection); return; }
    if (!connection.ordinary) {
      connection.ordinary = { delay: connection.config.reconnectDelay, jitter: connection.config.reconnectJitter };
    }
    connection.attempt = 0;  // hx-ws counts the next attempt as the first: its delay is not doubled
    connection.config.reconnectDelay = detail.code === 1012 ? RESTART.first : RESTART.again;
    connection.config.reconnectJitter = 1;
  });
  document.addEventListener("htmx:ws:after:connection", function (event) {
    if (event.detail && event.detail.connection) ordinaryReconnect(event.detail.connection);
  });
  document.addEventListener("htmx:ws:error", function () { setLive(false); });

  // After the programme changes, regions that are personal or per room are fetched again: a phone's
  // "where do I go" (spread over a few seconds, so hundreds of phones do not ask at once) and a door sign.
  var seen = {};
  function refreshIfChanged(id, delay, url, targetId) {
    var marker = document.getElementById(id);
    if (!marker) return;
    var at = marker.getAttribute("data-at");
    if (seen[id] === undefined) { seen[id] = at; return; }
    if (seen[id] === at) return;
    seen[id] = at;
    setTimeout(function () {
      var asked = document.getElementById(targetId);
      fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.text() : null; })
        .then(function (html) {
          var target = document.getElementById(targetId);
          // Replaced meanwhile by the answer to this person's own action (a join, a note): that one is newer.
          if (!html || !target || target !== asked) return;
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.getElementById(targetId);
          if (!fresh) return;
          // Filled in place, not replaced: htmx drops the answer to a request whose target has left the page,
          // so a Join tapped while this fetch was under way would otherwise seem to do nothing.
          rememberFocus();
          Array.prototype.forEach.call(fresh.attributes, function (a) { target.setAttribute(a.name, a.value); });
          target.replaceChildren.apply(target, Array.prototype.slice.call(fresh.childNodes));
          if (window.htmx) window.htmx.process(target);
          applyMarks();
          restoreFocus();
        })
        .catch(function () {});
    }, delay);
  }

  // The headcounts of this person's own sessions, told to screen readers through #count-news: when they
  // change, and then at most once per data-every ms (the latest value, once the interval is over).
  // A join or leave is answered before the live frame with its headcount comes: when this person's sessions
  // change, the counts as they stand are taken in silently, and the frame's new count is told as soon as it comes.
  var told = null, toldAt = 0, telling = null, toldFor = null;
  function mySessions() {
    return Array.prototype.map.call(document.querySelectorAll("li.session.mine"), function (li) {
      return li.getAttribute("data-session");
    }).join(" ");
  }
  function myCounts() {
    return Array.prototype.map.call(document.querySelectorAll("li.session.mine"), function (li) {
      var what = li.querySelector(".session-title"), present = li.querySelector(".present");
      return (what ? what.textContent.trim() + ": " : "") + (present ? present.textContent.trim() : "");
    }).join(". ");
  }
  function tellCounts() {
    var news = document.getElementById("count-news");
    if (!news) return;
    var now = myCounts(), sessions = mySessions();
    if (told === null || sessions !== toldFor) {  // the page as loaded, or just joined or left: not news yet
      told = now;
      toldFor = sessions;
      return;
    }
    if (now === told || telling) return;
    var wait = Math.max(0, toldAt + Number(news.getAttribute("data-every") || 10000) - Date.now());
    telling = setTimeout(function () {
      telling = null;
      var latest = myCounts();
      if (latest === told) return;
      told = latest;
      toldAt = Date.now();
      news.textContent = latest;
    }, wait);
  }

  // Focus that a swap takes away is given back. A control that is swapped out (Interest, +1, a board a live frame
  // redraws) or hidden by this person's marks (Join, once joined) would drop a keyboard or screen-reader user at
  // the top of the page (WCAG 2.4.3). Controls that act on the same thing share a data-focus-key ("session:12" on
  // Join, Leave and "I'm here"): after the swap the visible one with the focused control's key gets the focus, a
  // tabbable one first (else, for example, the session's title). Without a key, an element's id is its key.
  var kept = null;
  function keyOf(element) {
    var keyed = element && element.closest ? element.closest("[data-focus-key]") : null;
    if (keyed) return keyed.getAttribute("data-focus-key");
    return element && element.id ? "#" + element.id : null;
  }
  function shown(element) {
    return element.isConnected && element.getClientRects().length > 0 && !element.closest("[hidden]");
  }
  function rememberFocus() {
    var active = document.activeElement;
    if (!active || active === document.body || active === document.documentElement) return;
    var key = keyOf(active);
    if (key) kept = { element: active, key: key };
  }
  function restoreFocus() {
    var was = kept;
    kept = null;
    if (!was) return;
    var active = document.activeElement;
    var lost = !active || active === document.body || active === document.documentElement;
    if (!lost && !(active === was.element && !shown(active))) return;  // still there, or moved on by the person
    var found = null;
    if (was.key.charAt(0) === "#") {
      var same = document.getElementById(was.key.slice(1));
      if (same && shown(same)) found = same;
    } else {
      var candidates = Array.prototype.filter.call(
        document.querySelectorAll('[data-focus-key="' + was.key.replace(/["\\]/g, "") + '"]'), shown);
      found = candidates.filter(function (e) { return e.tabIndex >= 0; })[0] || candidates[0] || null;
    }
    if (found) found.focus();
  }
  window.LiveBoard = { rememberFocus: rememberFocus, restoreFocus: restoreFocus };
  document.addEventListener("htmx:before:swap", rememberFocus);
  document.addEventListener("htmx:ws:before:message:incoming", rememberFocus);

  function afterUpdate() {
    initCounters(document);
    applyMarks();
    restoreFocus();
    tellCounts();
    var live = document.getElementById("live");
    var url = live ? live.getAttribute("hx-ws:connect") || "" : "";
    var slug = (url.match(/^\/e\/([^/]+)\//) || [])[1];
    if (slug) {
      refreshIfChanged("me-refresh", Math.random() * 5000, "/e/" + slug + "/me", "my-evening");
      refreshIfChanged("door-refresh", Math.random() * 1000, location.pathname + location.search, "main");
      // The report fetches itself when the harvest changes; spread over two seconds, as a room may read it.
      refreshIfChanged("report-refresh", Math.random() * 2000, location.pathname + location.search, "main");
    }
  }

  // An answer whose target a live frame has meanwhile drawn again (a +1 on a point, while everyone's +1 redraws
  // the agenda) would be dropped by htmx, and the person's press would seem lost: it goes to the element now in
  // its place, found by the same id.
  document.addEventListener("htmx:after:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var target = ctx && ctx.target;
    if (!(target instanceof Element) || target.isConnected || !target.id) return;
    if (document.getElementById(target.id)) ctx.target = "#" + CSS.escape(target.id);
  });

  // A new request clears the previous error message.
  document.addEventListener("htmx:before:request", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.textContent = "";
  });
  document.addEventListener("htmx:after:swap", afterUpdate);
  document.addEventListener("htmx:ws:after:message:incoming", afterUpdate);
  document.addEventListener("DOMContentLoaded", afterUpdate);
})();

// The note-taker's form: Ctrl+Enter (Cmd+Enter on a Mac) saves, so the hands stay on the keyboard.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    var field = event.target;
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    if (!field || !field.hasAttribute || !field.hasAttribute("data-quick-submit") || !field.form) return;
    event.preventDefault();
    if (field.form.requestSubmit) field.form.requestSubmit();
    else field.form.submit();
  });
})();
