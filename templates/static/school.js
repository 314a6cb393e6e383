// Copy buttons: `data-copy` names the element whose text (or value) goes to the clipboard.
(function () {
  "use strict";
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    button.addEventListener("click", function () {
      var el = document.getElementById(button.getAttribute("data-copy"));
      if (!el) { return; }
      var text = el.value !== undefined ? el.value : el.textContent;
      var done = function () {
        var label = button.textContent;
        button.textContent = "✔";
        setTimeout(function () { button.textContent = label; }, 1500);
      };
      if (navigator.clipboard && navigator.clipboard.writeText) {
        navigator.clipboard.writeText(text).then(done, function () { el.select && el.select(); });
      } else if (el.select) {
        el.select();
        document.execCommand("copy");
        done();
      }
    });
  });
})();
