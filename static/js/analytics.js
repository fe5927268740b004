/* Draw each <figure data-chart> with Chart.js from the table inside it.
 *
 * The table stays in the page for screen readers and print; the canvas only
 * repeats it. Redrawn after every htmx swap.
 */
(function () {
  "use strict";

  // htmx runs this script again on every swap of the dashboard; listen once.
  if (window.b24appAnalyticsCharts) {
    window.b24appAnalyticsCharts(document);
    return;
  }

  function tableData(table) {
    var headers = Array.from(table.tHead.rows[0].cells).slice(1).map(function (cell) {
      return cell.textContent.trim();
    });
    var labels = [];
    var series = headers.map(function () { return []; });
    Array.from(table.tBodies[0].rows).forEach(function (row) {
      var cells = Array.from(row.cells);
      if (cells.length < 2) { return; }
      labels.push(cells[0].textContent.trim());
      cells.slice(1).forEach(function (cell, index) {
        var value = parseFloat(cell.dataset.value);
        series[index].push(isNaN(value) ? null : value);
      });
    });
    return { labels: labels, datasets: headers.map(function (label, index) {
      return { label: label, data: series[index] };
    }) };
  }

  function draw(root) {
    if (typeof window.Chart !== "function") { return; }
    root.querySelectorAll("figure[data-chart]").forEach(function (figure) {
      var canvas = figure.querySelector("canvas");
      if (!canvas || canvas.dataset.drawn) { return; }
      canvas.dataset.drawn = "1";
      var data = tableData(figure.querySelector("table"));
      new window.Chart(canvas, {
        type: figure.dataset.chart,
        data: data,
        // The box around the canvas sets the height in app.css; without
        // maintainAspectRatio: false a doughnut grows as tall as the page is wide.
        options: {
          responsive: true,
          maintainAspectRatio: false,
          animation: false,
          plugins: { legend: { display: data.datasets.length > 1 || figure.dataset.chart === "doughnut" } }
        }
      });
    });
  }

  window.b24appAnalyticsCharts = draw;
  document.addEventListener("DOMContentLoaded", function () { draw(document); });
  document.addEventListener("htmx:afterSettle", function (event) { draw(event.target); });
  draw(document);
})();
