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

  // Ctrl+Enter (Cmd+Enter) saves the form being typed in: logging a call mid-conversation.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var form = event.target && event.target.form;
    if (form) {
      event.preventDefault();
      form.requestSubmit();
    }
  });

  // A close button empties the panel it belongs to (the in-place log form).
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-close-panel]");
    if (!button) return;
    var panel = document.querySelector(button.dataset.closePanel);
    if (panel) panel.innerHTML = "";
  });

  // A form whose htmx target is missing from the page still saves: it is sent as an ordinary
  // POST (the server answers with a redirect), so what the user typed is never lost.
  document.addEventListener("htmx:targetError", function (event) {
    var elt = event.detail && event.detail.elt;
    var form = elt && (elt.tagName === "FORM" ? elt : elt.form || elt.closest("form"));
    if (form && form.method.toLowerCase() === "post" && form.getAttribute("action")) {
      HTMLFormElement.prototype.submit.call(form);
    }
  });

  // Arrow keys move from the search box into its dropdown and between the results; Escape goes back.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var results = document.getElementById("search-results");
    if (!results) return;
    var items = Array.prototype.slice.call(results.querySelectorAll("a[role=option]"));
    if (!items.length) return;
    var input = document.querySelector("[data-shortcut='/']");
    var index = items.indexOf(document.activeElement);
    if (event.target === input) {
      if (event.key !== "ArrowDown") return;
      index = 0;
    } else if (index === -1) {
      return;
    } else if (event.key === "ArrowDown") {
      index = Math.min(index + 1, items.length - 1);
    } else if (index === 0) {
      event.preventDefault();
      if (input) input.focus();
      return;
    } else {
      index -= 1;
    }
    event.preventDefault();
    items[index].focus();
  });

  // Escape or a click elsewhere closes the search dropdown.
  function closeSearch(event) {
    var results = document.getElementById("search-results");
    if (!results || !results.innerHTML) return;
    if (event.type === "keydown" && event.key !== "Escape") return;
    if (event.type === "click" && results.parentNode.contains(event.target)) return;
    results.innerHTML = "";
  }
  document.addEventListener("keydown", closeSearch);
  document.addEventListener("click", closeSearch);

  // Client list: select rows for a bulk action ("select all" on the page, a count of the selection).
  function bulkCount() {
    var label = document.querySelector("[data-bulk-count]");
    if (!label) return;
    var count = document.querySelectorAll("input[name=ids][form=bulk-form]:checked").length;
    label.textContent = count ? label.dataset.some.replace("%(count)s", count) : label.dataset.none;
  }
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches("[data-select-all]")) {
      document.querySelectorAll("input[name=ids][form=bulk-form]").forEach(function (box) {
        box.checked = target.checked;
      });
    }
    if (target.matches("[data-select-all], input[name=ids][form=bulk-form]")) bulkCount();
  });

  // Lists with data-keyboard-list: arrow keys (or j/k) move between rows, Enter opens the row, x selects it.
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    var list = document.querySelector("[data-keyboard-list]");
    if (!list) return;
    var target = event.target;
    var inList = list.contains(target);
    if (!inList && target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT|BUTTON)$/.test(target.tagName))) return;
    if (!inList && target !== document.body && target !== document.documentElement) return;
    var links = Array.prototype.slice.call(list.querySelectorAll("[data-row-link]"));
    if (!links.length) return;
    var row = target.closest && target.closest("[data-row]");
    var index = row ? links.indexOf(row.querySelector("[data-row-link]")) : -1;
    var key = event.key;
    if (key === "ArrowDown" || key === "j") {
      index = Math.min(index + 1, links.length - 1);
    } else if (key === "ArrowUp" || key === "k") {
      if (index === -1) return;
      index = Math.max(index - 1, 0);
    } else if (key === "x" && row) {
      var box = row.querySelector("input[name=ids]");
      if (box) { box.checked = !box.checked; bulkCount(); }
      event.preventDefault();
      return;
    } else if (key === "Enter" && row && target.tagName !== "A") {
      links[index].click();
      event.preventDefault();
      return;
    } else {
      return;
    }
    event.preventDefault();
    links.forEach(function (link) { link.closest("[data-row]").classList.remove("row-focused"); });
    links[index].closest("[data-row]").classList.add("row-focused");
    links[index].focus();
  });

  // Filter forms submit as soon as a select or checkbox changes.
  document.querySelectorAll("form[data-autosubmit] select, form[data-autosubmit] input[type=checkbox]").forEach(
    function (input) {
      input.addEventListener("change", function () { input.form.requestSubmit(); });
    }
  );
})();
