// Live Markdown preview for the item editor: each textarea marked data-preview gets a preview box that
// the server renders (and sanitises) after a short pause in typing. Without JavaScript the editor's
// "Preview" button does the same.
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!meta || !window.fetch) { return; }
  var csrf = meta.getAttribute("content");
  document.querySelectorAll("textarea[data-preview]").forEach(function (area) {
    var box = document.createElement("div");
    box.className = "md live-preview";
    box.setAttribute("aria-live", "polite");
    area.insertAdjacentElement("afterend", box);
    var timer = null;
    var render = function () {
      fetch("/api/v1/preview", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf },
        body: JSON.stringify({ text: area.value })
      })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (j) { if (j) { box.innerHTML = j.html; } })
        .catch(function () {});
    };
    area.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(render, 400);
    });
    if (area.value.trim() !== "") { render(); }
  });
})();
