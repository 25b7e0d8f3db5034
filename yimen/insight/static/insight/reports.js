/* Report charts (ECharts). Data from the json_script "report-chart". */
(function () {
  var el = document.getElementById("report-chart");
  if (!el || !window.echarts) return;
  var d = JSON.parse(el.textContent);
  var charts = [];
  function make(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var c = echarts.init(node);
    c.setOption(option);
    charts.push(c);
  }
  var grid = {left: 50, right: 50, top: 40, bottom: 40};
  make("chart-series", {tooltip: {trigger: "axis"}, legend: {top: 0}, grid: grid,
    xAxis: {type: "category", data: d.series_keys},
    yAxis: [{type: "value", name: "人次"}, {type: "value", name: "分钟"}],
    series: [{name: "取号", type: "bar", data: d.series_issued, color: "#c9ced8"},
             {name: "办结", type: "bar", data: d.series_served, color: "#0b4f9c"},
             {name: "平均等候", type: "line", yAxisIndex: 1, data: d.series_wait, color: "#b3241b", connectNulls: true}]});
  make("chart-rows", {tooltip: {trigger: "axis"}, legend: {top: 0}, grid: {left: 50, right: 50, top: 40, bottom: 90},
    xAxis: {type: "category", data: d.row_names, axisLabel: {rotate: 30, interval: 0, width: 120, overflow: "truncate"}},
    yAxis: [{type: "value", name: "取号"}, {type: "value", name: "%", max: 100}],
    series: [{name: "取号", type: "bar", data: d.row_issued, color: "#0b4f9c"},
             {name: "15分钟内叫号率", type: "line", yAxisIndex: 1, data: d.row_sla, color: "#b3241b"}]});
  make("chart-wait", {tooltip: {trigger: "axis"}, grid: grid, xAxis: {type: "category", data: d.wait_labels},
    yAxis: {type: "value", name: "人次"}, series: [{name: "人次", type: "bar", data: d.wait_counts, color: "#b3241b"}]});
  make("chart-service", {tooltip: {trigger: "axis"}, grid: grid, xAxis: {type: "category", data: d.service_labels},
    yAxis: {type: "value", name: "人次"}, series: [{name: "人次", type: "bar", data: d.service_counts, color: "#0b4f9c"}]});
  make("chart-scores", {tooltip: {trigger: "axis"}, grid: grid,
    xAxis: {type: "category", data: ["1 非常不满意", "2 不满意", "3 基本满意", "4 满意", "5 非常满意"]},
    yAxis: {type: "value", name: "条"}, series: [{name: "评价", type: "bar", data: d.scores, color: "#1f7a3a"}]});
  window.yimenCharts = charts;
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
