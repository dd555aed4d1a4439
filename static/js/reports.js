/* Draws the chart of a report page from the report's JSON (embedded as #report-data) with Chart.js. */
(function () {
  "use strict";
  var element = document.getElementById("report-data");
  var canvas = document.getElementById("chart");
  if (!element || !canvas || typeof Chart === "undefined") return;
  var report = JSON.parse(element.textContent);
  var PALETTE = ["#0b5d57", "#c2571a", "#2f5f9e", "#8a3ffc", "#b0201a", "#5f7d00", "#9a6b00", "#00799e", "#7d3c58", "#57606a"];
  var MAX_BARS = 30;
  var MAX_SERIES = 8;

  Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  Chart.defaults.font.size = 13;
  Chart.defaults.color = "#1f2328";
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.animation = false;

  function percent(value) {
    var digits = value > 0 && value < 0.001 ? 2 : value > 0 && value < 0.01 ? 1 : 0;
    if (value >= 0.01 && Math.abs(100 * value - Math.round(100 * value)) > 0.05) digits = 1;
    return (100 * value).toFixed(digits) + " %";
  }
  function color(index) { return PALETTE[index % PALETTE.length]; }

  function bar(labels, values, label, options) {
    options = options || {};
    return {
      type: "bar",
      data: { labels: labels, datasets: [{ label: label, data: values, backgroundColor: color(0) }] },
      options: {
        indexAxis: options.horizontal ? "y" : "x",
        plugins: { legend: { display: false }, title: { display: true, text: label } },
        scales: options.percent
          ? { [options.horizontal ? "x" : "y"]: { beginAtZero: true, ticks: { callback: function (v) { return percent(v); } } } }
          : { [options.horizontal ? "x" : "y"]: { beginAtZero: true } }
      }
    };
  }

  function pareto(rows) {
    rows = rows.slice(0, MAX_BARS);
    return {
      type: "bar",
      data: {
        labels: rows.map(function (r) { return r.key; }),
        datasets: [
          {
            type: "bar", label: "Failures", data: rows.map(function (r) { return r.failures; }),
            backgroundColor: color(0), yAxisID: "y", order: 2
          },
          {
            type: "line", label: "Cumulative share", data: rows.map(function (r) { return r.cumulative_share; }),
            borderColor: color(1), backgroundColor: color(1), yAxisID: "share", pointRadius: 3, order: 1
          }
        ]
      },
      options: {
        plugins: { title: { display: true, text: "Failures by " + report.by + " (bars) and running share (line)" } },
        scales: {
          y: { beginAtZero: true, title: { display: true, text: "Failures" } },
          share: {
            position: "right", min: 0, max: 1, grid: { drawOnChartArea: false },
            ticks: { callback: function (v) { return percent(v); } }
          }
        }
      }
    };
  }

  function rateLabel(row) {
    if (row.lot !== undefined) return row.model + " · lot " + (row.lot || "—");
    if (row.firmware !== undefined) return row.model + " · fw " + (row.firmware || "—");
    return row.model;
  }

  function rates(rows) {
    rows = rows.slice(0, MAX_BARS);
    var title = "Failures per 1,000 units in service: 90 % interval (bar), rate (mark) and the model's rate over the "
      + "same time in service (×), ranked by how far the interval stands above the model (first " + rows.length + ")";
    return {
      type: "bar",
      data: {
        labels: rows.map(rateLabel),
        datasets: [
          {
            type: "bar", label: "90 % interval", backgroundColor: "rgba(11, 93, 87, 0.35)", borderColor: color(0),
            borderWidth: 1, data: rows.map(function (r) { return [r.rate_low_per_1000, r.rate_high_per_1000]; }), order: 2
          },
          {
            type: "line", label: "Rate", showLine: false, pointStyle: "line", pointRadius: 9, pointBorderWidth: 3,
            borderColor: color(1), backgroundColor: color(1), pointRotation: 90,
            data: rows.map(function (r) { return r.rate_per_1000; }), order: 1
          },
          {
            type: "line", label: "At the model's rate", showLine: false, pointStyle: "crossRot", pointRadius: 5,
            borderColor: "#57606a", backgroundColor: "#57606a",
            data: rows.map(function (r) { return 1000 * r.expected_failures / r.units_in_service; }), order: 0
          }
        ]
      },
      options: {
        indexAxis: "y",
        plugins: {
          title: { display: true, text: title },
          tooltip: {
            callbacks: {
              label: function (item) {
                var row = rows[item.dataIndex];
                return row.failures + " failures in " + row.units_in_service.toLocaleString("en-GB") + " units: "
                  + row.rate_per_1000.toFixed(1) + " (" + row.rate_low_per_1000.toFixed(1) + " to "
                  + row.rate_high_per_1000.toFixed(1) + ") per 1,000; " + row.expected_failures.toFixed(1)
                  + " expected at the model's rate";
              }
            }
          }
        },
        scales: { x: { beginAtZero: true, title: { display: true, text: "per 1,000 units" } } }
      }
    };
  }

  function trend(rows) {
    var seen = Array.from(new Set(rows.map(function (r) { return r.week; }))).sort();
    var weeks = [];  // every week of the range, quiet ones too, so the time axis is even
    if (seen.length) {
      for (var day = new Date(seen[0] + "T00:00:00Z"); day <= new Date(seen[seen.length - 1] + "T00:00:00Z");
        day.setUTCDate(day.getUTCDate() + 7)) {
        weeks.push(day.toISOString().slice(0, 10));
      }
    }
    var totals = {};
    rows.forEach(function (r) { totals[r.pattern] = (totals[r.pattern] || 0) + r.failures; });
    var patterns = Object.keys(totals).sort(function (a, b) { return totals[b] - totals[a]; });
    var shown = patterns.slice(0, MAX_SERIES);
    var series = shown.concat(patterns.length > shown.length ? ["other patterns"] : []);
    var counts = {};
    rows.forEach(function (r) {
      var name = shown.indexOf(r.pattern) >= 0 ? r.pattern : "other patterns";
      counts[name + "|" + r.week] = (counts[name + "|" + r.week] || 0) + r.failures;
    });
    return {
      type: "bar",
      data: {
        labels: weeks,
        datasets: series.map(function (name, i) {
          return {
            label: name, backgroundColor: color(i),
            data: weeks.map(function (w) { return counts[name + "|" + w] || 0; })
          };
        })
      },
      options: {
        plugins: { title: { display: true, text: "Failures per week, by pattern (week starting)" } },
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, title: { display: true, text: "Failures" } } }
      }
    };
  }

  // Weibull probability paper: y = ln(−ln(1 − F)) against a logarithmic age; a Weibull is a straight line.
  function weibullY(f) { return Math.log(-Math.log(1 - f)); }
  var PROBABILITIES = [0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 0.632, 0.9, 0.99, 0.999];

  function life(rows, points) {
    var groups = rows.filter(function (r) { return r.failures > 0; })
      .sort(function (a, b) { return b.failures - a.failures; }).slice(0, 6);
    var datasets = [];
    var inside = function (f) { return f > 0 && f < 1; };
    groups.forEach(function (row, i) {
      var own = points.filter(function (p) { return p.key === row.key && inside(p.unreliability); });
      datasets.push({
        type: "scatter", label: row.key + " (Kaplan–Meier)", backgroundColor: color(i), pointRadius: 3,
        data: own.map(function (p) { return { x: Math.max(p.age_days, 0.5), y: weibullY(p.unreliability) }; })
      });
      ["unreliability_low", "unreliability_high"].forEach(function (end, j) {
        datasets.push({
          type: "line", label: j ? "" : row.key + ": 90 % band", borderColor: color(i), borderWidth: 1,
          borderDash: [3, 3], pointRadius: 0, stepped: true,
          data: own.filter(function (p) { return inside(p[end]); })
            .map(function (p) { return { x: Math.max(p.age_days, 0.5), y: weibullY(p[end]) }; })
        });
      });
      if (row.beta === null) return;  // too few failures for a fit: the points only
      var ages = own.map(function (p) { return Math.max(p.age_days, 0.5); });
      var low = Math.min.apply(null, ages.concat([row.b10_days || 1])) / 1.5;
      var high = Math.max.apply(null, ages.concat([Math.min(row.eta_days, 3 * Math.max.apply(null, ages))])) * 1.2;
      datasets.push({
        type: "line",
        label: row.key + ": β " + row.beta.toFixed(2) + " (" + row.beta_low.toFixed(2) + "–" + row.beta_high.toFixed(2)
          + "), η " + Math.round(row.eta_days).toLocaleString("en-GB") + " d",
        borderColor: color(i), borderWidth: 2, pointRadius: 0,
        data: [low, high].map(function (t) { return { x: t, y: row.beta * (Math.log(t) - Math.log(row.eta_days)) }; })
      });
    });
    return {
      type: "scatter",
      data: { datasets: datasets },
      options: {
        plugins: {
          title: { display: true, text: "Weibull probability plot: fraction failed against age (" + report.view + " view)" },
          legend: { labels: { filter: function (item) { return item.text !== ""; } } }
        },
        scales: {
          x: {
            type: "logarithmic",
            title: { display: true, text: "Age (days from the warranty's start)" },
            afterBuildTicks: function (axis) {
              var ticks = [];
              for (var power = -1; power <= 5; power++) {
                [1, 2, 5].forEach(function (m) {
                  var value = m * Math.pow(10, power);
                  if (value >= axis.min && value <= axis.max) ticks.push({ value: value });
                });
              }
              axis.ticks = ticks;
            },
            ticks: { callback: function (v) { return v >= 1 ? Math.round(v).toLocaleString("en-GB") : String(v); } }
          },
          y: {
            title: { display: true, text: "Fraction failed (Weibull scale)" },
            afterBuildTicks: function (axis) {
              axis.ticks = PROBABILITIES.map(function (f) { return { value: weibullY(f) }; })
                .filter(function (tick) { return tick.value >= axis.min && tick.value <= axis.max; });
            },
            ticks: { callback: function (v) { return percent(1 - Math.exp(-Math.exp(v))); } }
          }
        }
      }
    };
  }

  var rows = report.rows || [];
  var config;
  switch (report.report) {
    case "pareto": config = pareto(rows); break;
    case "failure-rates": config = rates(rows); break;
    case "trend": config = trend(rows); break;
    case "life": config = life(rows, report.points || []); break;
    case "no-fault-found":
      config = bar(rows.map(function (r) { return r.model; }), rows.map(function (r) { return r.rate; }),
        "No-fault-found rate by model", { percent: true });
      break;
    case "repeats":
      config = bar(rows.map(function (r) { return r.model; }), rows.map(function (r) { return r.rate; }),
        "Repeat-failure rate by model", { percent: true });
      break;
    case "goodwill":
      config = bar(rows.map(function (r) { return r.pattern; }), rows.map(function (r) { return r.grants; }),
        "Goodwill replacements by pattern");
      break;
    case "fault-signals":
      rows = rows.slice(0, MAX_BARS);
      config = bar(rows.map(function (r) { return r.cell; }), rows.map(function (r) { return r.rate_ratio; }),
        "Observed over expected failures (strongest " + rows.length + ")", { horizontal: true });
      config.options.plugins.tooltip = {
        callbacks: {
          afterLabel: function (item) {
            var row = rows[item.dataIndex];
            return row.observed + " observed, " + row.expected + " expected in " + row.units_in_service +
              " units; first detected " + row.first_detected_on + " (" + row.status + ")";
          }
        }
      };
      break;
    default: return;
  }
  new Chart(canvas, config);
  canvas.setAttribute("data-ready", "1");
})();
