// The map of service sites (nearby/site_list.html).
(function () {
  var el = document.getElementById("site-map");
  var points = JSON.parse(document.getElementById("site-points").textContent);
  var home = JSON.parse(document.getElementById("home-point").textContent);
  var map = L.map(el, { attributionControl: false });
  if (window.DoorstepBasemap) DoorstepBasemap(map);
  var layer = L.featureGroup().addTo(map);
  points.forEach(function (p) {
    L.circleMarker([p.lat, p.lon], { radius: 8, color: p.open ? "#1a7f37" : "#888", weight: 2, fillOpacity: 0.6 })
      .bindPopup(function () {
        var a = document.createElement("a"); a.href = p.url; a.textContent = p.name; return a;
      }).addTo(layer);
  });
  if (home) {
    L.circleMarker([home.lat, home.lon], { radius: 6, color: "#c8161d", weight: 2, fillOpacity: 0.9 })
      .bindTooltip("我家").addTo(layer);
  }
  map.fitBounds(layer.getBounds().pad(0.2), { maxZoom: 17 });
})();
