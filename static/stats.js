/* The dashboard charts (ECharts, served from static/vendor): contact compliance over the last
   12 months and children by category. Data comes from the page's json_script element.
   ECharts (about 270 KB compressed) is fetched only when the page has a chart to draw, and
   without holding up the page: the script tag's data-echarts names it, and it is added once
   this (deferred) script runs, so the figures and tables are usable while it downloads. */
(function () {
  "use strict";
  var script = document.currentScript;
  function draw() {
    var source = document.getElementById("stats-chart-data");
    if (!source || typeof echarts === "undefined") { return; }
    var data = JSON.parse(source.textContent);
    var charts = [];
    // Tooltips drawn on the canvas ("richText"): ECharts' HTML tooltips are markup with
    // style attributes, which the Content-Security-Policy refuses.
    var line = document.getElementById("chart-compliance");
    if (line) {
      var chart = echarts.init(line);
      chart.setOption({
        grid: { left: 40, right: 12, top: 16, bottom: 40 },
        tooltip: { trigger: "axis", renderMode: "richText", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
        xAxis: { type: "category", data: data.months, axisLabel: { rotate: 45 } },
        yAxis: { type: "value", min: 0, max: 100, axisLabel: { formatter: "{value}%" } },
        series: [{ type: "line", data: data.compliance, connectNulls: false, symbolSize: 6 }]
      });
      charts.push(chart);
    }
    var bars = document.getElementById("chart-categories");
    if (bars) {
      var names = [], counts = [];
      data.categories.forEach(function (name, i) {
        if (data.category_counts[i]) { names.push(name); counts.push(data.category_counts[i]); }
      });
      var chart2 = echarts.init(bars);
      chart2.setOption({
        grid: { left: 8, right: 24, top: 8, bottom: 8, containLabel: true },
        tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
        xAxis: { type: "value", minInterval: 1 },
        yAxis: { type: "category", data: names, inverse: true, axisLabel: { width: 120, overflow: "truncate" } },
        series: [{ type: "bar", data: counts, label: { show: true, position: "right" } }]
      });
      charts.push(chart2);
    }
    window.addEventListener("resize", function () {
      charts.forEach(function (c) { c.resize(); });
    });
  }
  function start() {
    if (!document.querySelector(".stats-chart") || !document.getElementById("stats-chart-data")) {
      return;
    }
    if (typeof echarts !== "undefined") { draw(); return; }
    var library = document.createElement("script");
    library.src = script.getAttribute("data-echarts");
    library.async = true;
    library.addEventListener("load", draw);
    document.head.appendChild(library);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
