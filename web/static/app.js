// Optional improvements to the server-rendered pages; everything works
// without this file. Loaded from /static/ only (the pages' CSP forbids
// inline script): copy buttons, and search results that follow the typing.
"use strict";
(function () {
  document.documentElement.dataset.js = "on";

  // Copy buttons: shown only when script runs.
  function copy(btn) {
    // The button follows what it copies: a checksum (full value in its
    // title) or a command's <pre>.
    var src = btn.previousElementSibling;
    if (!src) { return; }
    var text = src.getAttribute("title") || src.textContent;
    var done = function () {
      btn.classList.add("done");
      btn.textContent = "Copied";
      setTimeout(function () { btn.classList.remove("done"); btn.textContent = "Copy"; }, 1500);
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(text).then(done, function () {});
    }
  }
  document.querySelectorAll("button.copy").forEach(function (btn) {
    btn.hidden = false;
    btn.addEventListener("click", function () { copy(btn); });
  });

  // Search as you type: fetch the server's own results page and swap its
  // results in; the form still submits normally.
  var form = document.querySelector("form.search");
  var results = document.getElementById("results");
  if (!form || !results || !window.fetch || !window.DOMParser) { return; }
  var input = form.querySelector("input[name=q]");
  var timer = null, seq = 0;
  function update() {
    var q = input.value.trim();
    if (q.length === 0 || q.length > 200) { return; }
    var url = "/search?" + new URLSearchParams(new FormData(form)).toString();
    var mine = ++seq;
    fetch(url, { headers: { Accept: "text/html" }, credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.text() : null; })
      .then(function (html) {
        if (html === null || mine !== seq) { return; }
        var doc = new DOMParser().parseFromString(html, "text/html");
        var fresh = doc.getElementById("results");
        var current = document.getElementById("results");
        var h1 = document.querySelector("h1"), freshH1 = doc.querySelector("h1");
        if (!fresh || !current) { return; }
        current.replaceWith(document.importNode(fresh, true));
        if (h1 && freshH1) { h1.textContent = freshH1.textContent; }
        document.title = doc.title;
        history.replaceState(null, "", url);
      })
      .catch(function () {});
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(update, 250);
  });
})();
