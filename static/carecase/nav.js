/* The menu's groups are <details> (they open without JavaScript); with it, opening one closes
   the others, and a click elsewhere or Escape closes them all, as a dropdown does. */
(function () {
  "use strict";
  var groups = function () { return document.querySelectorAll(".cc-group > details"); };
  document.addEventListener("toggle", function (event) {
    var opened = event.target;
    if (!opened.matches || !opened.matches(".cc-group > details") || !opened.open) return;
    groups().forEach(function (other) { if (other !== opened) other.open = false; });
  }, true);
  var closeAll = function (except) {
    groups().forEach(function (g) { if (!except || !g.contains(except)) g.open = false; });
  };
  document.addEventListener("click", function (event) { closeAll(event.target); });
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") closeAll(null); });
})();
