// Flags per day of a back-test, from the JSON the page embeds.
(function () {
  "use strict";
  var source = document.getElementById("backtest-data");
  var canvas = document.querySelector("canvas[data-chart='backtest']");
  if (!source || !canvas || typeof Chart === "undefined") return;
  var days = JSON.parse(source.textContent).days;
  new Chart(canvas, {
    type: "bar",
    data: { labels: days.map(function (d) { return d[0]; }),
      datasets: [{ label: canvas.dataset.seriesLabel || "Flags opened", data: days.map(function (d) { return d[1]; }), backgroundColor: "#fd7e14" }] },
    options: { animation: false, plugins: { legend: { display: false } },
      scales: { x: { ticks: { maxTicksLimit: 8 } }, y: { beginAtZero: true, ticks: { precision: 0 } } } }
  });
})();
