// Charts of the review and print pages, drawn from the frozen snapshot the page embeds as JSON
// (no inline script: CSP). Also the print button of the print page.
(function () {
  "use strict";

  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });

  var source = document.getElementById("review-chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colors = { better: "#198754", worse: "#dc3545", same: "#6c757d", line: "#0d6efd" };
  var charts = [];
  var day = (window.crmDates || { day: String }).day;  // ISO days in the JSON, the page's language on the axis

  function base(extra) {
    var options = {
      animation: false, responsive: true, maintainAspectRatio: false, devicePixelRatio: 2,
      plugins: { legend: { display: false } }
    };
    Object.keys(extra || {}).forEach(function (key) { options[key] = extra[key]; });
    return options;
  }

  document.querySelectorAll("canvas[data-review-chart='health']").forEach(function (canvas) {
    charts.push(new Chart(canvas, {
      type: "line",
      data: {
        labels: data.health.map(function (p) { return p[0]; }),
        datasets: [{ label: (data.labels || {}).health || "Health", data: data.health.map(function (p) { return p[1]; }), borderWidth: 1.5,
          pointRadius: 0, tension: 0.2, borderColor: colors.line }]
      },
      options: base({ scales: { x: { ticks: { maxTicksLimit: 6, callback: function (value) { return day(this.getLabelForValue(value)); } } }, y: { min: 0, max: 100 } } })
    }));
  });

  document.querySelectorAll("canvas[data-review-chart='changes']").forEach(function (canvas) {
    charts.push(new Chart(canvas, {
      type: "bar",
      data: {
        labels: data.changes.map(function (k) { return k.name; }),
        datasets: [{ label: (data.labels || {}).changes || "Change %", data: data.changes.map(function (k) { return k.change; }),
          backgroundColor: data.changes.map(function (k) { return colors[k.verdict] || colors.same; }) }]
      },
      options: base({ indexAxis: "y", scales: { x: { ticks: { callback: function (v) { return v + "%"; } } } } })
    }));
  });

  // Charts are sized for the screen; redraw them at the paper's width before printing.
  window.addEventListener("beforeprint", function () { charts.forEach(function (c) { c.resize(); }); });
  window.addEventListener("afterprint", function () { charts.forEach(function (c) { c.resize(); }); });
})();
