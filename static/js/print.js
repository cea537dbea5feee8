// The print pages' "Print" button (door posters, programme): it opens the browser's print dialogue. It is hidden
// until this script runs, so a page without scripts shows only the sentence that says how to print.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("print-button");
    if (!button) return;
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
})();
