// Mock exam sitting: saves each answer as it is given (PUT, acknowledged only once the server has it
// durably), shows per question whether it is saved, retries what failed, and counts down the time the
// server keeps. Without JavaScript the page's "Save answers" and "Submit" buttons do the same by form.
(function () {
  "use strict";
  var form = document.querySelector("form[data-attempt]");
  // Signed in by cookie: the CSRF token comes back in a header. Embedded in another site: the session
  // is in the page's addresses, and there is no cookie to forge.
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (!form || !window.fetch) { return; }
  var csrf = meta ? meta.getAttribute("content") : null;
  var saveUrl = form.getAttribute("data-save-url");
  var resultUrl = form.getAttribute("data-result-url");
  var pending = {};      // slot -> answer waiting to be (re)sent
  var inflight = {};     // slot -> true while a save is on its way
  var timers = {};
  var statusText = {
    saving: form.getAttribute("data-saving") || "…",
    saved: form.getAttribute("data-saved") || "✔",
    failed: form.getAttribute("data-failed") || "!"
  };

  function mark(slot, state, text) {
    var el = document.getElementById("s-" + slot);
    if (el) { el.textContent = text; el.className = "save-state " + state; }
  }

  function answerOf(slot) {
    var inputs = form.querySelectorAll('[name="a:' + slot + '"]');
    if (!inputs.length) { return undefined; }
    var first = inputs[0];
    if (first.type === "checkbox") {
      var ids = [];
      inputs.forEach(function (i) { if (i.checked) { ids.push(i.value); } });
      return ids.length ? ids : undefined;
    }
    if (first.type === "radio") {
      var v;
      inputs.forEach(function (i) { if (i.checked) { v = i.value; } });
      if (v === "true") { return true; }
      if (v === "false") { return false; }
      return v;
    }
    var text = first.value.trim();
    if (text === "") { return undefined; }
    if (first.getAttribute("inputmode") === "decimal") {
      var n = Number(text.replace(/[,，\s]/g, ""));
      return isNaN(n) ? text : n;
    }
    return text;
  }

  function send(slot) {
    if (inflight[slot] || !(slot in pending)) { return; }
    var answer = pending[slot];
    delete pending[slot];
    inflight[slot] = true;
    mark(slot, "saving", statusText.saving);
    var headers = { "Content-Type": "application/json" };
    if (csrf) { headers["X-CSRF-Token"] = csrf; }
    fetch(saveUrl + encodeURIComponent(slot), {
      method: "PUT",
      headers: headers,
      body: JSON.stringify({ answer: answer })
    }).then(function (r) {
      inflight[slot] = false;
      if (r.status === 409) { window.location.href = resultUrl; return; }
      if (!r.ok) { throw new Error(String(r.status)); }
      return r.json().then(function (j) {
        var t = new Date(j.saved_at);
        mark(slot, "saved", statusText.saved + " " + t.toLocaleTimeString());
        if (slot in pending) { send(slot); }
      });
    }).catch(function () {
      inflight[slot] = false;
      if (!(slot in pending)) { pending[slot] = answer; }
      mark(slot, "failed", statusText.failed);
    });
  }

  // Failed saves are retried until they land.
  setInterval(function () { Object.keys(pending).forEach(send); }, 3000);

  function changed(ev) {
    var name = ev.target.getAttribute("name") || "";
    if (name.indexOf("a:") !== 0) { return; }
    var slot = name.slice(2);
    var answer = answerOf(slot);
    if (answer === undefined) { return; }
    pending[slot] = answer;
    clearTimeout(timers[slot]);
    var delay = (ev.type === "input") ? 800 : 0;
    timers[slot] = setTimeout(function () { send(slot); }, delay);
  }
  form.addEventListener("change", changed);
  form.addEventListener("input", changed);

  // The countdown; the server keeps the real deadline and submits at it.
  var clock = document.getElementById("clock");
  var left = parseInt(form.getAttribute("data-seconds-left"), 10) || 0;
  var end = Date.now() + left * 1000;
  function tick() {
    var s = Math.max(0, Math.round((end - Date.now()) / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), sec = s % 60;
    if (clock) {
      clock.textContent = h + ":" + (m < 10 ? "0" : "") + m + ":" + (sec < 10 ? "0" : "") + sec;
      clock.className = s < 300 ? "clock low" : "clock";
    }
    if (s === 0) { window.location.href = resultUrl; return; }
    setTimeout(tick, 1000);
  }
  tick();
})();
