/* The dashboard's charts (Chart.js, from npm): drawn from the JSON the page carries, which comes from
   the same tables the page and the Excel export show. Without Chart.js the tables still say it all. */
(function () {
  "use strict";
  var COLOURS = ["#1565c0", "#2e7d32", "#b26a00", "#c62828", "#6a1b9a", "#00838f"];
  var SEVERITY = ["#1565c0", "#f9a825", "#c62828"];
  var GRADES = { A: "#c62828", B: "#f9a825", C: "#1565c0" };

  function base(extra) {
    var options = { responsive: true, maintainAspectRatio: false, animation: false,
      plugins: { legend: { position: "bottom", labels: { boxWidth: 12 } } } };
    Object.keys(extra || {}).forEach(function (k) { options[k] = extra[k]; });
    return options;
  }

  function draw(id, config) {
    var canvas = document.getElementById(id);
    if (canvas) new Chart(canvas, config);
  }

  function init() {
    var holder = document.getElementById("chart-data");
    if (!holder || typeof Chart === "undefined") return;
    var data = JSON.parse(holder.textContent);
    var category = data.category;
    draw("chart-category", { type: "bar", data: { labels: category.labels, datasets:
      category.series.map(function (s, n) { return { label: s.label, data: s.data, backgroundColor: SEVERITY[n] }; }) },
      options: base({ indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } },
        y: { stacked: true } } }) });

    var overdue = data.overdue;
    draw("chart-overdue", { type: "bar", data: { labels: overdue.labels, datasets:
      overdue.series.map(function (s) { return { label: s.label, data: s.data, backgroundColor: "#c62828" }; }) },
      options: base({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }) });

    var grades = data.grades;
    draw("chart-grades", { type: "bar", data: { labels: grades.labels, datasets:
      grades.series.map(function (s) { return { label: s.label, data: s.data, backgroundColor: GRADES[s.label] }; }) },
      options: base({ scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } }) });
  }

  function drawTrend() {
    var holder = document.getElementById("trend-data");
    var canvas = document.getElementById("chart-trend");
    if (!holder || !canvas || canvas.dataset.drawn || typeof Chart === "undefined") return;
    canvas.dataset.drawn = "1";
    var trend = JSON.parse(holder.textContent);
    var sets = trend.bars.map(function (s, n) {
      return { type: "bar", label: s.label, data: s.data, backgroundColor: COLOURS[n], yAxisID: "y" };
    }).concat(trend.lines.map(function (s, n) {
      return { type: "line", label: s.label + " %", data: s.data, borderColor: COLOURS[n + 2], spanGaps: true,
        yAxisID: "rate" };
    }));
    draw("chart-trend", { data: { labels: trend.labels, datasets: sets }, options: base({ scales: {
      y: { beginAtZero: true, position: "left", ticks: { precision: 0 } },
      rate: { beginAtZero: true, max: 100, position: "right", grid: { drawOnChartArea: false } } } }) });
  }

  document.addEventListener("DOMContentLoaded", function () { init(); drawTrend(); });
  document.addEventListener("htmx:afterSwap", drawTrend);
})();

/* The team assessment page: each team's final score over the published periods. */
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("history-data");
    var canvas = document.getElementById("chart-history");
    if (!holder || !canvas || typeof Chart === "undefined") return;
    var data = JSON.parse(holder.textContent);
    var colours = ["#1565c0", "#2e7d32", "#b26a00", "#c62828", "#6a1b9a", "#00838f", "#455a64", "#ad1457"];
    new Chart(canvas, { type: "line", data: { labels: data.labels, datasets: Object.keys(data.series).map(function (team, i) {
      return { label: team, data: data.series[team], borderColor: colours[i % colours.length], spanGaps: true };
    }) }, options: { responsive: true, maintainAspectRatio: false, animation: false,
      scales: { y: { min: 0, max: 100 } }, plugins: { legend: { position: "bottom" } } } });
  });
})();
