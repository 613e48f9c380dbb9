// Входящие: j/k move the current item (its lock is taken, the last one's given back),
// d/a/b decide it, r goes to its reply form, x marks it for the bulk buttons.
// Decisions are the cards' own forms (HTMX), so keys and buttons do the same thing.
"use strict";
(function () {
  var queue = document.getElementById("queue");
  if (!queue) { return; }
  var moderate = queue.getAttribute("data-moderate") === "1";
  var nextIndex = null;

  function cards() { return Array.prototype.slice.call(queue.querySelectorAll(".card[data-id]")); }
  function current() { return queue.querySelector(".card.current[data-id]"); }

  function lockUrl(card, what) { return "/moderation/" + card.getAttribute("data-id") + "/" + what; }

  function setCurrent(card) {
    var before = current();
    if (before === card) { return; }
    if (before) {
      before.classList.remove("current");
      if (moderate && !before.classList.contains("locked")) {
        htmx.ajax("POST", lockUrl(before, "unlock"), { target: "#lock-" + before.getAttribute("data-id"), swap: "innerHTML" });
      }
    }
    if (!card) { return; }
    card.classList.add("current");
    card.focus({ preventScroll: true });
    card.scrollIntoView({ block: "nearest" });
    if (moderate) {
      htmx.ajax("POST", lockUrl(card, "lock"), { target: "#lock-" + card.getAttribute("data-id"), swap: "innerHTML" });
    }
  }

  function move(step) {
    var list = cards();
    if (!list.length) { return; }
    var at = list.indexOf(current());
    var to = at < 0 ? 0 : Math.min(list.length - 1, Math.max(0, at + step));
    setCurrent(list[to]);
  }

  function submit(key) {
    var card = current();
    if (!card) { return; }
    var form = card.querySelector('form[data-key="' + key + '"]');
    if (form) { form.requestSubmit(); }
  }

  function reply() {
    var card = current();
    var select = card && card.querySelector('form[data-key="r"] select');
    if (select) { select.focus(); }
  }

  function mark() {
    var card = current();
    var box = card && card.querySelector('input[type="checkbox"]');
    if (box) { box.checked = !box.checked; }
  }

  // a card's form is sent: remember where the next current card will be
  document.body.addEventListener("htmx:beforeRequest", function (event) {
    var card = event.detail.elt.closest && event.detail.elt.closest(".card[data-id]");
    if (card && event.detail.elt.tagName === "FORM" && event.detail.elt.getAttribute("data-key") !== "r") {
      nextIndex = cards().indexOf(card);
    }
  });

  document.body.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (target && target.id && target.id.indexOf("lock-") === 0) {
      var card = target.closest(".card");
      var kind = target.querySelector("[data-lock]");
      if (card) { card.classList.toggle("locked", !!kind && kind.getAttribute("data-lock") === "other"); }
    }
    if (nextIndex !== null && !current()) {
      var list = cards();
      var index = nextIndex;
      nextIndex = null;
      if (list.length) { setCurrent(list[Math.min(index, list.length - 1)]); }
    }
  });

  queue.addEventListener("click", function (event) {
    var card = event.target.closest(".card[data-id]");
    if (card && !event.target.closest("form, a, input, select, button")) { setCurrent(card); }
  });

  var keys = { j: function () { move(1); }, k: function () { move(-1); } };
  if (moderate) {
    keys.d = function () { submit("d"); };
    keys.a = function () { submit("a"); };
    keys.b = function () { submit("b"); };
    keys.r = reply;
    keys.x = mark;
  }
  window.hubKeys(keys);

  var first = cards().filter(function (c) { return !c.classList.contains("locked"); })[0];
  if (first) { setCurrent(first); }

  // a moderator still reading keeps the item: the lock (5 minutes) is renewed every 2
  if (moderate) {
    window.setInterval(function () {
      var card = current();
      if (card && !card.classList.contains("locked")) {
        htmx.ajax("POST", lockUrl(card, "lock"), { target: "#lock-" + card.getAttribute("data-id"), swap: "innerHTML" });
      }
    }, 120000);
  }
})();
