// Пабликхаб console: the CSRF token on every HTMX request, and the screens' keyboard.
"use strict";
document.addEventListener("htmx:configRequest", function (event) {
  var meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) { event.detail.headers["X-CSRF-Token"] = meta.content; }
});
// A screen declares its keys on <main data-keys="...">: a script of its own (served from
// /static/) handles them; this file only offers the shared helper below.
window.hubKeys = function (handlers) {
  document.addEventListener("keydown", function (event) {
    var tag = (event.target.tagName || "").toLowerCase();
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    if (tag === "input" || tag === "textarea" || tag === "select" || event.target.isContentEditable) { return; }
    var handler = handlers[event.key];
    if (handler) { event.preventDefault(); handler(event); }
  });
};
