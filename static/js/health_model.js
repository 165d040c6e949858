// Health model page: each weight's share of the total, updated as the admin types (the server shows the same).
(function () {
  "use strict";
  var form = document.getElementById("model-form");
  if (!form) return;
  function refresh() {
    var rows = Array.prototype.slice.call(form.querySelectorAll("table.health-components tbody tr"));
    var weights = rows.map(function (row) {
      var kind = row.querySelector("select[name$='-kind']");
      var weight = row.querySelector("input[data-weight]");
      if (!kind || !kind.value || !weight) return null;
      var value = parseFloat(weight.value);
      return isNaN(value) || value < 0 ? 0 : value;
    });
    var total = weights.reduce(function (sum, w) { return sum + (w || 0); }, 0);
    rows.forEach(function (row, i) {
      var cell = row.querySelector("[data-share]");
      if (!cell) return;
      cell.textContent = weights[i] === null ? "—" : Math.round(total ? 100 * weights[i] / total : 0) + " %";
    });
  }
  form.addEventListener("input", refresh);
  form.addEventListener("change", refresh);
  // The progress bar's width comes from its data attribute (no inline styles under the CSP).
  function bars() {
    document.querySelectorAll(".progress-bar[data-percent]").forEach(function (bar) { bar.style.width = bar.dataset.percent + "%"; });
  }
  bars();
  document.body.addEventListener("htmx:afterSwap", bars);
})();
