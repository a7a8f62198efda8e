// Cockpit charts (Apache ECharts, served from our own static files). Data comes from the
// page (json_script "cockpit-charts"); every chart is marked data-drawn once rendered.
(function () {
  var el = document.getElementById("cockpit-charts");
  if (!el || !window.echarts) return;
  var data = JSON.parse(el.textContent);
  var dark = document.body.classList.contains("big-screen");
  var theme = dark ? "dark" : null;
  var red = "#c8161d", blue = "#1f4fa3";

  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var chart = echarts.init(node, theme, { renderer: "canvas" });
    option.backgroundColor = "transparent";
    chart.setOption(option);
    node.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
  }

  draw("chart-trend", {
    title: { text: "每日受理与办结", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "axis" },
    legend: { data: ["受理", "办结"], right: 0, top: 0 },
    grid: { left: 40, right: 16, top: 40, bottom: 30 },
    xAxis: { type: "category", data: data.trend.map(function (r) { return r[0].slice(5); }) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      { name: "受理", type: "line", smooth: true, data: data.trend.map(function (r) { return r[1]; }), itemStyle: { color: blue } },
      { name: "办结", type: "line", smooth: true, data: data.trend.map(function (r) { return r[2]; }), itemStyle: { color: red } }
    ]
  });
  draw("chart-top", {
    title: { text: "诉求类别（前八）", textStyle: { fontSize: 14 } },
    tooltip: {},
    grid: { left: 110, right: 16, top: 40, bottom: 20 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.top.map(function (r) { return r[0]; }) },
    series: [{ type: "bar", data: data.top.map(function (r) { return r[1]; }), itemStyle: { color: red } }]
  });
  draw("chart-ages", {
    title: { text: "年龄结构", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: ["35%", "65%"], top: 20,
      data: data.ages.map(function (r) { return { name: r[0], value: r[1] }; }) }]
  });
  draw("chart-sites", {
    title: { text: "服务阵地", textStyle: { fontSize: 14 } },
    tooltip: { trigger: "item" },
    series: [{ type: "pie", radius: "60%", top: 20,
      data: data.sites.map(function (r) { return { name: r[0], value: r[1] }; }) }]
  });
})();
