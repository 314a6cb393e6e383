// Embedded result: tells the course page that holds this frame what the student scored. The message
// goes only to the origin the signed link named (or, without one, to whichever page holds the frame).
(function () {
  "use strict";
  var data = document.getElementById("tiku-result");
  var me = document.currentScript;
  if (!data || !me || window.parent === window) { return; }
  var target = me.getAttribute("data-target-origin") || "*";
  try {
    window.parent.postMessage(JSON.parse(data.textContent), target);
  } catch (e) { /* a malformed message is not sent */ }
})();
