// Small, CSP-friendly behaviours (no inline scripts anywhere).
(function () {
  "use strict";

  // "/" focuses the search box unless the user is typing somewhere already.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) return;
    var search = document.querySelector("[data-shortcut='/']");
    if (search) {
      event.preventDefault();
      search.focus();
      search.select();
    }
  });

  // Forms or buttons with data-confirm ask before doing something destructive.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var submitter = event.submitter;
    var message = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
    if (message && !window.confirm(message)) event.preventDefault();
  });

  // Filter forms submit as soon as a select or checkbox changes.
  document.querySelectorAll("form[data-autosubmit] select, form[data-autosubmit] input[type=checkbox]").forEach(
    function (input) {
      input.addEventListener("change", function () { input.form.requestSubmit(); });
    }
  );
})();
