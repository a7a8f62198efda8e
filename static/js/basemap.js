// The offline basemap under every map (roads, buildings, water, green, names in Chinese),
// served by the project itself from the imported OpenStreetMap extract: no outside tiles.
// Usage: DoorstepBasemap(map) — the map's element carries data-basemap="<url>".
window.DoorstepBasemap = (function () {
  var FILL = {
    residential: ["#efe9df", "#e3dccf"], campus: ["#ece6f0", "#ddd3e4"],
    green: ["#d4e8c8", "#bcd8aa"], water: ["#b8d6ee", "#98c0e0"], building: ["#d9d0c7", "#c2b6aa"]
  };
  var ROAD_WIDTH = [7, 5, 3.5, 1.6];
  var ORDER = ["residential", "campus", "green", "water", "building", "rail", "road"];

  function label(text, at, cls) {
    return L.marker(at, {
      pane: "basemapLabels", interactive: false, keyboard: false,
      icon: L.divIcon({ className: "basemap-label " + cls, html: "", iconSize: null })
    }).on("add", function () { this.getElement().textContent = text; });
  }

  function centre(points) {
    var lat = 0, lon = 0;
    points.forEach(function (p) { lat += p[0]; lon += p[1]; });
    return [lat / points.length, lon / points.length];
  }

  return function (map) {
    var el = map.getContainer(), url = el.dataset.basemap;
    if (!url) return;
    el.classList.add("has-basemap");
    map.createPane("basemap").style.zIndex = 250;
    map.createPane("basemapLabels").style.zIndex = 350;
    map.getPane("basemap").style.pointerEvents = "none";
    map.getPane("basemapLabels").style.pointerEvents = "none";
    var renderer = L.canvas({ pane: "basemap", padding: 0.5 });
    var shapes = L.layerGroup().addTo(map), labels = L.layerGroup();
    if (!map.attributionControl) map.addControl(L.control.attribution({ prefix: false }));
    var loaded = null, loadedWide = false, credited = null;
    function wide(b) { return Math.max(b.getNorth() - b.getSouth(), b.getEast() - b.getWest()) > 0.05; }

    function draw(data) {
      shapes.clearLayers(); labels.clearLayers();
      var byKind = {}, named = {};
      data.features.forEach(function (f) { (byKind[f[0]] = byKind[f[0]] || []).push(f); });
      ORDER.forEach(function (kind) {
        (byKind[kind] || []).forEach(function (f) {
          var rank = f[1], name = f[2], closed = f[3], pts = f[4];
          if (closed) {
            var c = FILL[kind] || FILL.building;
            L.polygon(pts, { renderer: renderer, interactive: false, color: c[1], weight: kind === "building" ? 0.8 : 0.5, fillColor: c[0], fillOpacity: 1 }).addTo(shapes);
            if (name && kind !== "building") labels.addLayer(label(name, centre(pts), "area"));
          } else if (kind === "road") {
            var w = ROAD_WIDTH[rank] || 2;
            L.polyline(pts, { renderer: renderer, interactive: false, color: "#c9c1b6", weight: w + 1.5, lineCap: "round" }).addTo(shapes);
            L.polyline(pts, { renderer: renderer, interactive: false, color: rank === 0 ? "#fbe3a6" : "#ffffff", weight: w, lineCap: "round" }).addTo(shapes);
            if (name && rank < 3 && (!named[name] || named[name].length < pts.length)) named[name] = pts;
          } else if (kind === "rail") {
            L.polyline(pts, { renderer: renderer, interactive: false, color: "#9a9a9a", weight: 2, dashArray: "6 4" }).addTo(shapes);
          } else {
            L.polyline(pts, { renderer: renderer, interactive: false, color: FILL.water[1], weight: 3 }).addTo(shapes);
          }
        });
      });
      Object.keys(named).forEach(function (name) {
        var pts = named[name];
        labels.addLayer(label(name, pts[Math.floor(pts.length / 2)], "road"));
      });
      if (data.attribution && data.attribution !== credited) {
        if (credited) map.attributionControl.removeAttribution(credited);
        map.attributionControl.addAttribution(data.attribution);
        credited = data.attribution;
      }
      showLabels();
      el.setAttribute("data-basemap-drawn", String(data.features.length));
    }

    function showLabels() {
      if (map.getZoom() >= 16) labels.addTo(map); else labels.remove();
    }

    function load() {
      var view = map.getBounds();
      var box = view.pad(0.5);
      if (loaded && loaded.contains(view) && (!loadedWide || wide(box))) { showLabels(); return; }
      loaded = box; loadedWide = wide(box);
      var q = [box.getSouth(), box.getWest(), box.getNorth(), box.getEast()]
        .map(function (v) { return v.toFixed(5); }).join(",");
      fetch(url + "?bbox=" + q, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) { if (data) draw(data); })
        .catch(function () { loaded = null; });
    }

    map.whenReady(load);
    map.on("moveend", load);
  };
})();
