// The main menu (templates/base.html) is a <details> disclosure that folds below 900 px. Browsers
// that style ::details-content show it open on a wide screen by CSS alone; for the others this
// opens it whenever the screen is wide. Without JavaScript those browsers show the «Меню» button
// on every width, and the menu still works. See docs/architecture.md, phone layout.
(function () {
  "use strict";
  var fold = document.getElementById("main-menu");
  if (!fold || (window.CSS && CSS.supports && CSS.supports("selector(::details-content)"))) return;
  var wide = window.matchMedia("(min-width: 900px)");
  function follow() {
    if (wide.matches) fold.open = true;
  }
  follow();
  if (wide.addEventListener) wide.addEventListener("change", follow);
})();
