// The wall screen: pages through the rooms when they do not fit, and counts down to the next round.
(function () {
  "use strict";
  var PAGE_SECONDS = 12;
  var page = 0;

  function showNextPage() {
    var pages = document.querySelectorAll("#grid .grid");
    if (pages.length < 2) return;
    page = (page + 1) % pages.length;
    pages.forEach(function (table, i) { table.classList.toggle("later", i !== page); });
  }

  // The countdown uses the server's clock: the offset between server and device is measured once per render.
  function tick() {
    var clock = document.getElementById("clock");
    if (!clock) return;
    var target = clock.getAttribute("data-next");
    var serverNow = Date.parse(clock.getAttribute("data-now"));
    if (!clock.dataset.offset) clock.dataset.offset = String(serverNow - Date.now());
    var out = clock.querySelector("[data-countdown]");
    if (!target || !out) return;
    var ms = Date.parse(target) - (Date.now() + Number(clock.dataset.offset));
    if (ms < 0) { out.textContent = ""; return; }
    var s = Math.floor(ms / 1000), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    out.textContent = (h ? h + ":" + String(m).padStart(2, "0") : m) + ":" + String(s % 60).padStart(2, "0");
  }

  document.addEventListener("DOMContentLoaded", function () {
    setInterval(showNextPage, PAGE_SECONDS * 1000);
    setInterval(tick, 1000);
    tick();
  });
})();
