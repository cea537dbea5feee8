// LiveBoard's own script: small helpers on top of server-rendered HTML. Every action works without it.
(function () {
  "use strict";

  // "N characters left" under fields with a limit, so nobody writes more than will be accepted.
  function updateCounter(field) {
    var counter = document.getElementById(field.getAttribute("data-counter"));
    if (!counter) return;
    var left = field.maxLength - field.value.length;
    var template = counter.getAttribute("data-template") || "{left}";
    counter.textContent = template.replace("{left}", String(left));
    counter.classList.toggle("error", left < 0);
  }

  function initCounters(root) {
    root.querySelectorAll("[data-counter]").forEach(updateCounter);
  }

  document.addEventListener("input", function (event) {
    if (event.target && event.target.hasAttribute && event.target.hasAttribute("data-counter")) {
      updateCounter(event.target);
    }
  });

  // A new request clears the previous error message.
  document.addEventListener("htmx:before:request", function () {
    var flash = document.getElementById("flash");
    if (flash) flash.textContent = "";
  });
  document.addEventListener("htmx:after:swap", function () { initCounters(document); });
  document.addEventListener("DOMContentLoaded", function () { initCounters(document); });
})();
