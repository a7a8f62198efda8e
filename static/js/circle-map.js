// The 15-minute circle map: roads, buildings by coverage, sites, suggestions (nearby/circle.html).
(function () {
  var data = JSON.parse(document.getElementById("circle-data").textContent);
  var el = document.getElementById("circle-map");
  var map = L.map(el, { preferCanvas: true, attributionControl: true });
  if (window.DoorstepBasemap) DoorstepBasemap(map);
  map.attributionControl.setPrefix(false).addAttribution(data.attribution);
  var r = data.roads, bounds = [];
  var lines = [];
  for (var i = 0; i < r.edges.length; i += 2) {
    var a = r.edges[i], b = r.edges[i + 1];
    lines.push([[r.lat0 + r.lat[a] / r.scale, r.lon0 + r.lon[a] / r.scale],
                [r.lat0 + r.lat[b] / r.scale, r.lon0 + r.lon[b] / r.scale]]);
  }
  if (lines.length) L.polyline(lines, { color: "#9aa0a6", weight: 1.5, opacity: 0.9, interactive: false }).addTo(map);
  var colours = ["#1e8c3c", "#c8161d", "#8a8a8a"];
  var states = ["已覆盖", "未覆盖", "远离道路"];
  data.buildings.forEach(function (b) {
    var t = b[3] + " · " + states[b[2]] + (b[4] === null ? "" : " · 步行 " + b[4] + " 分钟");
    L.circleMarker([b[0], b[1]], { radius: 4, color: colours[b[2]], weight: 1, fillColor: colours[b[2]], fillOpacity: 0.75 })
      .bindTooltip(t).addTo(map);
    bounds.push([b[0], b[1]]);
  });
  data.sites.forEach(function (s) {
    L.circleMarker([s[0], s[1]], { radius: 8, color: "#ffffff", weight: 2, fillColor: "#1f4fa3", fillOpacity: 1 })
      .bindTooltip(s[2]).addTo(map);
    bounds.push([s[0], s[1]]);
  });
  data.suggestions.forEach(function (s, i) {
    L.circleMarker([s[0], s[1]], { radius: 9, color: "#e08a00", weight: 3, fill: false })
      .bindTooltip("建议新增第 " + (i + 1) + " 处：新增覆盖 " + Math.round(s[2]) + " 户").addTo(map);
  });
  if (bounds.length) map.fitBounds(bounds, { padding: [20, 20] });
  else map.setView([r.lat0, r.lon0], 15);
  el.dataset.drawn = "1";
})();
