// The little behaviour the pages need beyond htmx: confirmation dialogs and "select all".
// Every page works without it: links open confirmation pages, forms post as usual.
(function () {
  "use strict";

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.id === "modal" && !target.open) {
      target.showModal();
      var first = target.querySelector("button, [href], input");
      if (first) first.focus();
    }
  });

  document.addEventListener("click", function (event) {
    var closer = event.target.closest("[data-close-dialog]");
    if (closer) {
      event.preventDefault();
      closer.closest("dialog").close();
    }
  });

  document.addEventListener("change", function (event) {
    var all = event.target.closest("[data-select-all]");
    if (!all) return;
    var form = document.getElementById(all.getAttribute("data-select-all"));
    form.querySelectorAll('input[type="checkbox"][name="syncs"]').forEach(function (box) {
      box.checked = all.checked;
    });
  });
})();
