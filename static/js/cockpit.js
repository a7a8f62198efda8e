// Cockpit charts (Apache ECharts, served from our own static files). Data comes from the
// page (json_script "cockpit-charts"); every chart is marked data-drawn once rendered.
(function () {
  var el = document.getElementById("cockpit-charts");
  if (!el || !window.echarts) return;
  var data = JSON.parse(el.textContent);
  var dark = document.body.classList.contains("big-screen");
  var theme = dark ? "dark" : null;
  var red = "#c8161d", blue = "#1f4fa3";
  // No growing bars for people who asked their system for less motion (and so for the
  // browser tests, which ask too: a click then lands on the bar as drawn).
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function draw(id, option) {
    var node = document.getElementById(id);
    if (!node) return;
    var chart = echarts.init(node, theme, { renderer: "canvas" });
    option.backgroundColor = "transparent";
    if (still) option.animation = false;
    chart.setOption(option);
    node.dataset.drawn = "1";
    window.addEventListener("resize", function () { chart.resize(); });
    return chart;
  }

  var step = { day: "每日", week: "每周", month: "每月" }[data.step || "day"];
  draw("chart-trend", {
    title: { text: step + "受理与办结", textStyle: { fontSize: 14 } },
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
  // A bar opens the case list of its category for the period (the page gives one address
  // per bar; 未分类 has none and stays a plain bar).
  var topNode = document.getElementById("chart-top");
  var topLinks = topNode && topNode.dataset.links ? topNode.dataset.links.split(" ") : [];
  var top = draw("chart-top", {
    title: { text: "诉求类别（前八）", textStyle: { fontSize: 14 } },
    tooltip: {},
    grid: { left: 110, right: 16, top: 40, bottom: 20 },
    xAxis: { type: "value", minInterval: 1 },
    yAxis: { type: "category", inverse: true, data: data.top.map(function (r) { return r[0]; }) },
    series: [{ type: "bar", itemStyle: { color: red },
      data: data.top.map(function (r, i) {
        return topLinks[i] ? { value: r[1] } : { value: r[1], cursor: "default", itemStyle: { color: "#999" } };
      }) }]
  });
  if (top) {
    top.on("click", function (p) {
      var url = p.componentType === "series" && topLinks[p.dataIndex];
      if (url) window.location.href = url;
    });
  }
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

// The grid map over the offline basemap. Each grid is its boundary (a click opens its cockpit),
// shaded by the chosen measure; darker is more cases / more overdue / better covered.
(function () {
  var el = document.getElementById("cockpit-charts");
  var node = document.getElementById("cockpit-map");
  if (!el || !node || !window.L) return;
  var data = JSON.parse(el.textContent).map;
  if (!data || !data.grids.length) { node.textContent = "暂无网格"; return; }
  var map = L.map(node, { attributionControl: true, zoomSnap: 0.25 });
  if (window.DoorstepBasemap) DoorstepBasemap(map);
  node.doorstepMap = map;  // for the browser tests: where a grid sits on screen
  map.attributionControl.setPrefix(false).addAttribution(data.attribution);
  var layer = L.layerGroup().addTo(map), bounds = [];
  var labels = { density: "件/百户", overdue: "件", coverage: "" };
  function colour(t) {  // 0..1 → light to dark red
    var r = 253 - Math.round(t * 100), g = 224 - Math.round(t * 200), b = 221 - Math.round(t * 200);
    return "rgb(" + r + "," + Math.max(g, 20) + "," + Math.max(b, 20) + ")";
  }
  function show(measure) {
    layer.clearLayers();
    var values = data.grids.map(function (g) { return g[measure]; }).filter(function (v) { return v !== null; });
    var max = Math.max.apply(null, values.concat([measure === "coverage" ? 1 : 1]));
    data.grids.forEach(function (g) {
      var v = g[measure];
      var shade = v === null ? "#dddddd" : colour(max ? v / max : 0);
      var text = v === null ? "无数据" : (measure === "coverage" ? (v * 100).toFixed(1) + "%" : v + labels[measure]);
      if (!g.shapes.length) return;  // a grid with no located building
      var ring = g.shapes[0][0];  // shapes: polygons, each [outer ring, holes…]
      var shape = ring.length >= 3
        ? L.polygon(g.shapes, { color: "#555", weight: 1, fillColor: shade, fillOpacity: 0.65 })
        : L.circleMarker(ring[0], { radius: 10, color: "#555", weight: 1, fillColor: shade, fillOpacity: 0.65 });
      shape.bindTooltip(g.name + "：" + text + "（点击查看）").addTo(layer);
      shape.on("click", function () { window.location.href = g.url + window.location.search; });
      g.shapes.forEach(function (p) { p[0].forEach(function (q) { bounds.push(q); }); });
    });
    document.getElementById("map-legend").textContent = "颜色越深数值越大（最大 " +
      (measure === "coverage" ? (max * 100).toFixed(1) + "%" : max + labels[measure]) + "）；灰色为无数据";
    node.dataset.measure = measure;
  }
  show("density");
  if (bounds.length) map.fitBounds(bounds, { padding: [10, 10] });
  node.dataset.drawn = "1";
  document.querySelectorAll(".map-measures button").forEach(function (b) {
    b.addEventListener("click", function () {
      document.querySelectorAll(".map-measures button").forEach(function (x) { x.classList.remove("on"); });
      b.classList.add("on");
      show(b.dataset.measure);
    });
  });
})();
