// Portfolio charts (doughnut and bars by band, 12-week trend) from the page's JSON; readable in print.
(function () {
  "use strict";
  var source = document.getElementById("portfolio-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colours = { green: "#198754", yellow: "#ffc107", red: "#dc3545" };
  var labels = data.bands.map(function (b) { return b.band; });
  var palette = labels.map(function (b) { return colours[b] || "#6c757d"; });
  var common = { animation: false, responsive: true, plugins: { legend: { display: false } } };
  var bands = document.querySelector("canvas[data-chart='bands']");
  if (bands) new Chart(bands, { type: "doughnut", options: Object.assign({}, common, { plugins: { legend: { display: true, position: "bottom" } } }),
    data: { labels: labels, datasets: [{ data: data.bands.map(function (b) { return b.clients; }), backgroundColor: palette }] } });
  var arr = document.querySelector("canvas[data-chart='arr']");
  // ARR is per currency (never added across currencies): one bar series per currency.
  var currencies = [];
  data.bands.forEach(function (b) { Object.keys(b.arr).forEach(function (c) { if (currencies.indexOf(c) < 0) currencies.push(c); }); });
  currencies.sort();
  if (arr) new Chart(arr, { type: "bar", options: Object.assign({}, common, { plugins: { legend: { display: currencies.length > 1 } } }),
    data: { labels: labels, datasets: currencies.map(function (c) {
      return { label: c, data: data.bands.map(function (b) { return b.arr[c] || 0; }), backgroundColor: palette };
    }) } });
  var trend = document.querySelector("canvas[data-chart='trend']");
  if (trend) new Chart(trend, { type: "line", options: Object.assign({}, common, { scales: { y: { min: 0, max: 100 } } }),
    data: { labels: data.trend.map(function (p) { return p.x; }), datasets: [{ data: data.trend.map(function (p) { return p.y; }),
      borderColor: "#0d6efd", pointRadius: 2, tension: 0.2 }] } });
})();
