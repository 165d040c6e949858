// Charts of the client page, drawn from the JSON that the page embeds (no inline script: CSP).
(function () {
  "use strict";
  var source = document.getElementById("chart-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var bands = { green: "#198754", yellow: "#ffc107", red: "#dc3545" };

  var day = (window.crmDates || { day: String }).day;
  // The x labels are ISO days; each tick and tooltip reads them in the page's language.
  function dayTick(value) { return day(this.getLabelForValue(value)); }

  function lineChart(canvas, label, points, options) {
    return new Chart(canvas, {
      type: "line",
      data: {
        labels: points.map(function (p) { return p[0]; }),
        datasets: [{ label: label, data: points.map(function (p) { return p[1]; }), borderWidth: 1.5,
          pointRadius: 0, tension: 0.2, borderColor: options.color || "#0d6efd" }]
      },
      options: {
        animation: false, responsive: true, maintainAspectRatio: true,
        plugins: { legend: { display: false }, tooltip: { callbacks: { title: function (items) { return day(items[0].label); } } } },
        scales: { x: { ticks: { maxTicksLimit: 6, callback: dayTick } }, y: options.y || {} }
      }
    });
  }

  document.querySelectorAll("canvas[data-chart='health']").forEach(function (canvas) {
    var points = data.health.map(function (p) { return [p.x, p.y]; });
    lineChart(canvas, canvas.dataset.seriesLabel || "Health", points, { y: { min: 0, max: 100 }, color: bands.green });
  });
  document.querySelectorAll("canvas[data-chart='kpi']").forEach(function (canvas) {
    var series = data.kpis[canvas.dataset.kpi];
    if (series) lineChart(canvas, series.name, series.points, {});
  });
})();
