// Контент-план: the week's keys, and a form sent once (a second click does nothing;
// the server refuses a repeat anyway: the outbox publishes each account once).
"use strict";
(function () {
  function go(id) {
    var link = document.getElementById(id);
    if (link) { window.location.href = link.href; }
  }
  if (window.hubKeys) {
    window.hubKeys({
      "[": function () { go("week-previous"); },
      "]": function () { go("week-next"); },
      "n": function () { go("new-draft"); }
    });
  }
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("once")) { return; }
    if (form.dataset.sent) { event.preventDefault(); return; }
    form.dataset.sent = "1";
    window.setTimeout(function () {
      var buttons = form.querySelectorAll("button[type=submit]");
      for (var i = 0; i < buttons.length; i++) { buttons[i].disabled = true; }
    }, 0);
  });
})();
