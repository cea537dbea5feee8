// Host consoles that follow each other without wiping what a host is typing.
//
// Two hosts at two laptops: host B's changes reach host A's console as live sections (`#rooms`, `#agenda`, …, from
// the socket), and A's own actions are answered with the whole console (`#main`). Both used to *replace* those
// elements, so a room A was renaming, a follow-up A was writing, a pitch chosen in the grid or an open "Edit"
// were gone whenever anyone else did anything.
//
// The design: inside a console (`[data-keep-typing]`) every such swap is a *morph* instead (htmx 4's `outerMorph`):
// the page's nodes are kept and only what differs is changed, matched by id (so every form field in the consoles'
// templates has a stable, unique id). A node that stays is the same node: its focus, caret and selection, its
// scroll position, an IME composition and its undo history all stay, and a screen reader does not hear the field
// again. On top of what morphing keeps by itself, two rules:
//
//   1. A field the host has changed (value differs from its default, a box ticked, another option chosen) is left
//      alone entirely: a live update never overwrites it, even when the server's value changed meanwhile (the host
//      is about to save theirs; the last save wins, as it would without live updates).
//   2. A `<details>` keeps the state the host gave it: morphing never opens or closes one.
//
// When the host's own action succeeds, the form they sent is reset first, so its fields take the server's values
// (the text they wrote is now in the history; the room shows its new name). An action that fails (422, 409) leaves
// the form as it was: its message goes to `#flash`.
//
// Limits: a field whose whole thing was removed by another host (the room deleted, the item merged away) goes with
// it; a field left edited keeps showing the host's text even after another host changed the same thing (the
// host's save would win); new elements arrive in the server's state (a new item's follow-up closed).
(function () {
  "use strict";
  var htmx = window.htmx;
  if (!htmx) return;
  var CONSOLE = "[data-keep-typing]";

  function defaultIndex(select) {
    var index = select.options.length ? 0 : -1;
    Array.prototype.forEach.call(select.options, function (option, i) {
      if (option.defaultSelected) index = i;
    });
    return index;
  }

  // Whether the host has changed this field from what the page (or the last morph) gave it.
  function edited(node) {
    if (node instanceof HTMLTextAreaElement) return node.value !== node.defaultValue;
    if (node instanceof HTMLInputElement) {
      if (node.type === "checkbox" || node.type === "radio") return node.checked !== node.defaultChecked;
      return node.type !== "hidden" && node.type !== "file" && node.value !== node.defaultValue;
    }
    if (node instanceof HTMLSelectElement) {
      if (node.multiple) {
        return Array.prototype.some.call(node.options, function (o) { return o.selected !== o.defaultSelected; });
      }
      return node.selectedIndex !== defaultIndex(node);
    }
    return false;
  }

  function inConsole(node) {
    return !!(node && node.closest && node.closest(CONSOLE));
  }

  htmx.registerExtension("keep-typing", {
    // Returning false keeps the page's node as it is (with its children).
    htmx_before_morph_node: function (node) {
      return !(edited(node) && inConsole(node));
    },
    htmx_before_morph_attr: function (node, detail) {
      return !(node.tagName === "DETAILS" && detail.attrName === "open" && inConsole(node));
    }
  });

  var MORPH = { outerHTML: "outerMorph", innerHTML: "innerMorph" };

  document.addEventListener("htmx:before:swap", function (event) {
    var detail = event.detail || {};
    var ctx = detail.ctx || {};
    var morphing = false;
    (detail.tasks || []).forEach(function (task) {
      var target = typeof task.target === "string" ? document.querySelector(task.target) : task.target;
      var spec = task.swapSpec;
      if (!spec || typeof spec !== "object" || !MORPH[spec.style] || !inConsole(target)) return;
      spec.style = MORPH[spec.style];
      morphing = true;
    });
    // The answer to this host's own action (a socket's frame has no request): the form they sent is done with.
    var response = ctx.request && ctx.response;
    if (!morphing || !response || response.status < 200 || response.status >= 300) return;
    var source = ctx.sourceElement;
    var form = source && (source.form || (source.closest && source.closest("form")));
    if (form && inConsole(form)) form.reset();
  });
})();
