// The address (slug) of a new event, suggested from its title while the organiser has not typed one of their own:
// "Fremtidens Ældrepleje i Århus" becomes "fremtidens-aeldrepleje-i-aarhus". Loaded only by the hosts' home and the
// copy page. Without it the field is simply required, and the server checks it either way.
(function () {
  "use strict";

  var MAX = 40;
  // Danish letters as Danes write them in addresses; other accents are dropped (é → e, ü → u).
  var LETTERS = { "æ": "ae", "ø": "oe", "å": "aa", "ß": "ss" };

  function slugify(title) {
    var text = title.toLowerCase().replace(/[æøåß]/g, function (c) { return LETTERS[c]; });
    text = text.normalize("NFD").replace(/[\u0300-\u036f]/g, "");
    text = text.replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "");
    return text.slice(0, MAX).replace(/-+$/, "");
  }

  function connect(slug) {
    var title = document.getElementById(slug.getAttribute("data-slug-from"));
    if (!title) return;
    // Typed by the organiser (or refilled after a refusal): theirs, not ours to change.
    var own = slug.value !== "";
    slug.addEventListener("input", function () {
      own = slug.value !== "";
    });
    title.addEventListener("input", function () {
      if (!own) slug.value = slugify(title.value);
    });
  }

  function init() {
    document.querySelectorAll("input[data-slug-from]").forEach(connect);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
