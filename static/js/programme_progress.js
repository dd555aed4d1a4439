/* Draws a service programme's completion over time from its progress JSON (#progress-data) with Chart.js. */
(function () {
  "use strict";
  var element = document.getElementById("progress-data");
  var canvas = document.getElementById("chart");
  if (!element || !canvas || typeof Chart === "undefined") return;
  var progress = JSON.parse(element.textContent);
  var rows = progress.completion || [];
  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;
  new Chart(canvas, {
    type: "line",
    data: {
      labels: rows.map(function (row) { return row.week; }),
      datasets: [{
        label: "Units remedied (of " + progress.eligible_in_service + " eligible)",
        data: rows.map(function (row) { return row.remedied; }),
        borderColor: "#0b5d57",
        backgroundColor: "rgba(11, 93, 87, 0.15)",
        fill: true,
        stepped: true
      }]
    },
    options: {
      scales: { y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: "units" } } },
      plugins: { legend: { position: "bottom" } }
    }
  });
})();
