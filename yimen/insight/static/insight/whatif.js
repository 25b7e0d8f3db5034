/* What-if charts (ECharts). Data from the json_script "whatif-charts". */
(function () {
  var el = document.getElementById("whatif-charts");
  if (!el || !window.echarts) return;
  var charts = JSON.parse(el.textContent);
  var colors = ["#b3241b", "#0b4f9c"];
  var slots = charts[0].slots;
  charts.forEach(function (c) { c.slots.forEach(function (s) { if (slots.indexOf(s) < 0) slots.push(s); }); });
  slots.sort();
  function align(c, key) { return slots.map(function (s) { var i = c.slots.indexOf(s); return i < 0 ? null : c[key][i]; }); }
  var series = [];
  charts.forEach(function (c, i) {
    series.push({name: c.label + " 平均等候", type: "line", data: align(c, "mean_wait"), color: colors[i], smooth: true});
    series.push({name: c.label + " 90%分位", type: "line", data: align(c, "p90_wait"), color: colors[i], lineStyle: {type: "dashed"}});
  });
  series.push({name: "到达人次/时段", type: "bar", yAxisIndex: 1, data: align(charts[0], "arrivals"), color: "#c9ced8"});
  var slotChart = echarts.init(document.getElementById("chart-slots"));
  slotChart.setOption({
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {top: 50, left: 50, right: 50, bottom: 30},
    xAxis: {type: "category", data: slots},
    yAxis: [{type: "value", name: "分钟"}, {type: "value", name: "人次"}],
    series: series,
    markLine: {}
  });
  var hist = echarts.init(document.getElementById("chart-hist"));
  hist.setOption({
    tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {top: 50, left: 50, right: 20, bottom: 30},
    xAxis: {type: "category", data: charts[0].hist_bins, name: "分钟"},
    yAxis: {type: "value", name: "%"},
    series: charts.map(function (c, i) { return {name: c.label, type: "bar", data: c.hist_share, color: colors[i]}; })
  });
  function hhmm(m) { m = Math.round(m); return String(Math.floor(m / 60) % 24).padStart(2, "0") + ":" + String(m % 60).padStart(2, "0"); }
  var queue = echarts.init(document.getElementById("chart-queue"));
  queue.setOption({
    tooltip: {trigger: "axis", valueFormatter: function (v) { return v; }}, legend: {top: 0},
    grid: {top: 50, left: 50, right: 20, bottom: 30},
    xAxis: {type: "value", min: "dataMin", max: "dataMax", axisLabel: {formatter: hhmm}},
    yAxis: {type: "value", name: "等候人数"},
    series: charts.map(function (c, i) { return {name: c.label, type: "line", step: "end", showSymbol: false, data: c.queue, color: colors[i]}; })
  });
  window.yimenCharts = [slotChart, hist, queue];
  window.addEventListener("resize", function () { window.yimenCharts.forEach(function (c) { c.resize(); }); });
})();
