// Portfolio charts (doughnut and bars by band, 12-week trend) from the page's JSON; readable in print.
// The trend's x axis is a time axis computed here (milliseconds since the epoch on a linear scale), so points are
// spaced by their dates; no date adapter is needed.
(function () {
  "use strict";
  var source = document.getElementById("portfolio-data");
  if (!source || typeof Chart === "undefined") return;
  var data = JSON.parse(source.textContent);
  var colours = { green: "#198754", yellow: "#ffc107", red: "#dc3545" };
  var labels = data.bands.map(function (b) { return b.label || b.band; });
  var palette = data.bands.map(function (b) { return colours[b.band] || "#6c757d"; });
  var lang = document.documentElement.lang || undefined;
  var common = { animation: false, responsive: true, maintainAspectRatio: false, plugins: { legend: { display: false } } };
  var bands = document.querySelector("canvas[data-chart='bands']");
  if (bands) new Chart(bands, { type: "doughnut", options: Object.assign({}, common, { plugins: { legend: { display: true, position: "bottom" } } }),
    data: { labels: labels, datasets: [{ data: data.bands.map(function (b) { return b.clients; }), backgroundColor: palette }] } });
  var arr = document.querySelector("canvas[data-chart='arr']");
  var converted = data.arr_base.every(function (b) { return b.amount !== null; });
  var money = function (value) { return Number(value).toLocaleString(lang, { maximumFractionDigits: 0 }); };
  if (arr && converted) {
    // One series in the base currency (converted with the day's rates).
    new Chart(arr, { type: "bar", options: Object.assign({}, common, {
        scales: { y: { ticks: { callback: function (v) { return money(v) + " " + data.base_currency; } } } },
        plugins: { legend: { display: false }, tooltip: { callbacks: { label: function (c) { return money(c.parsed.y) + " " + data.base_currency; } } } } }),
      data: { labels: labels, datasets: [{ label: data.base_currency, data: data.arr_base.map(function (b) { return b.amount; }), backgroundColor: palette }] } });
  } else if (arr) {
    // A rate is missing: ARR stays per currency (never added across currencies), one bar series per currency.
    var currencies = [];
    data.bands.forEach(function (b) { Object.keys(b.arr).forEach(function (c) { if (currencies.indexOf(c) < 0) currencies.push(c); }); });
    currencies.sort();
    new Chart(arr, { type: "bar", options: Object.assign({}, common, { plugins: { legend: { display: currencies.length > 1 } } }),
      data: { labels: labels, datasets: currencies.map(function (c) {
        return { label: c, data: data.bands.map(function (b) { return b.arr[c] || 0; }), backgroundColor: palette };
      }) } });
  }
  var trend = document.querySelector("canvas[data-chart='trend']");
  var day = (window.crmDates || { day: function (ms) { return new Date(ms).toISOString().slice(0, 10); } }).day;
  var points = data.trend.map(function (p) { return { x: Date.parse(p.x + "T00:00:00Z"), y: p.y }; });
  if (trend && points.length) new Chart(trend, { type: "line",
    options: Object.assign({}, common, {
      scales: {
        y: { min: 0, max: 100 },
        x: { type: "linear", min: points[0].x, max: points[points.length - 1].x,
             afterBuildTicks: function (scale) { scale.ticks = points.map(function (p) { return { value: p.x }; }); },
             ticks: { autoSkip: true, maxRotation: 0, callback: function (v) { return day(v); } } }
      },
      plugins: { legend: { display: false }, tooltip: { callbacks: { title: function (items) { return day(items[0].parsed.x); } } } }
    }),
    data: { datasets: [{ data: points, borderColor: "#0d6efd", pointRadius: 3, tension: 0.2, spanGaps: true }] } });
})();
