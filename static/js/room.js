// A room's own page (/e/{slug}/rooms/{id}, from the QR code on its door poster). Headcounts and "full" arrive by
// themselves on the live socket; what runs in the room (#room-now) is fetched again here when the programme
// changes (a live frame moves #me-refresh) and after this person's own "I'm here" or "Leave", so the count and
// "You are here" are right at once. Without this script the page still works: the forms post and come back.
(function () {
  "use strict";

  var seen = null;
  var MOVE = /\/sessions\/\d+\/(join|leave)$/;

  function refresh() {
    var asked = document.getElementById("room-now");
    if (!asked) return;
    fetch(location.pathname + location.search, { headers: { "HX-Request": "true" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        var target = document.getElementById("room-now");
        if (!html || !target) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("room-now");
        if (!fresh) return;
        // Filled in place, so a button a person is about to press keeps its place on the page; the focus goes
        // to the new control for the same session (app.js).
        var focus = window.LiveBoard;
        if (focus) focus.rememberFocus();
        target.replaceChildren.apply(target, Array.prototype.slice.call(fresh.childNodes));
        if (window.htmx) window.htmx.process(target);
        if (focus) focus.restoreFocus();
      })
      .catch(function () {});
  }

  function marker() {
    var element = document.getElementById("me-refresh");
    return element ? element.getAttribute("data-at") : null;
  }

  document.addEventListener("DOMContentLoaded", function () { seen = marker(); });

  document.addEventListener("htmx:ws:after:message:incoming", function () {
    var at = marker();
    if (at === seen) return;
    seen = at;
    // Spread over a few seconds: everyone at a door asks at once otherwise.
    setTimeout(refresh, Math.random() * 3000);
  });

  document.addEventListener("htmx:after:request", function (event) {
    var ctx = event.detail && event.detail.ctx;
    var action = ctx && ctx.request && String(ctx.request.action || "");
    var status = ctx && ctx.response ? ctx.response.status : 0;
    if (MOVE.test(action.split("?")[0]) && status < 400) setTimeout(refresh, 0);
  });
})();
